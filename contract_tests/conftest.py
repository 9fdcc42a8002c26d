"""The contract suite's options, seed and summary table come from the `cloudtwin-contract` pytest plugin
(contract_tests.plugin, an entry point), so they work with `pytest --pyargs contract_tests` too."""
