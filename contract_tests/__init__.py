"""Property-based contracts of delivery semantics, aimed at cloudtwin or at a real service.

Run against cloudtwin (the default), or against any SQS endpoint with
`pytest --pyargs cloudtwin.contract_tests --cloudtwin-endpoint https://sqs.us-east-1.amazonaws.com` and real
credentials in the environment. Against cloudtwin, time is moved with its clock; elsewhere
the contracts sleep, so keep the real-service runs small.
"""
