"""The AWS side of ``portal deploy``: the CloudFormation template and the boto3 code that
applies it (package the Lambda, change sets, site sync, ledger, invalidations)."""
