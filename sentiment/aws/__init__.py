"""AWS operations (boto3): upload data, SageMaker training, endpoint deploy/teardown, website publish.

Every call here is exercised offline against moto in the tests; nothing in the test suite reaches AWS.
"""
