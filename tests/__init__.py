"""The test suite is one package, so every module in it has one import path (``tests.conftest``,
``tests.support.*``): a module imported under two names is two modules, and the session fixtures
would clean up the other copy's servers and databases."""
