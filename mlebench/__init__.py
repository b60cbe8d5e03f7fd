"""The command line and the MLE-bench compatibility API: the one package that sees all the others.

``mle-bench`` and ``mlebench`` are the same command line (:mod:`mlebench.cli`); MLE-bench's own spellings
(``grade --submission``, ``grade-sample SUB ID``, ``prepare -a/-l``, ``dev download-leaderboard``) work in both.
For scripts written against MLE-bench, :mod:`mlebench.registry`, :mod:`mlebench.grade` and
:mod:`mlebench.utils` keep the calls they make, as thin wrappers over ``competitions`` and ``mle_datasets``.

>>> from mlebench.registry import registry
>>> registry.get_competition("spaceship-titanic").id
'spaceship-titanic'
"""
