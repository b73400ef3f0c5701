"""The public prediction API's logic, run by the Lambda function (from the layer): request parsing and
limits, the SageMaker endpoint client, results. Pure Python plus the runtime's boto3."""
