"""The contract suite's options, seed and summary table come from the `cloudtwin-contract` pytest plugin
(cloudtwin.contract_tests.plugin, an entry point), so they work with `pytest --pyargs cloudtwin.contract_tests` too.

Modules of this suite import each other by their installed name, `cloudtwin.contract_tests.…`, except a test
module importing its folder's conftest: from a checkout pytest imports tests and conftests as `contract_tests.…`,
and a relative import of the plugin from there would load a second copy beside the entry point's.
"""
