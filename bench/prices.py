"""AWS public list prices, us-east-1 (N. Virginia), on-demand, first tier, no free tier applied.

Price list: the AWS pricing pages as read on 2026-12-02 (stored copies found with the project's
search tools; the pages carry no date of their own). DynamoDB's on-demand prices are those after
the 50 % cut of November 2024. Change a value here and every cost figure follows.
"""

from __future__ import annotations

PRICE_LIST_DATE = "2026-12-02 (AWS pricing pages as read that day; DynamoDB on-demand after the Nov 2024 cut)"

# AWS Lambda, https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s per month)
LAMBDA_ARM_GB_S = 0.0000133334
LAMBDA_REQUEST = 0.20 / 1_000_000

# AWS Step Functions Standard, https://aws.amazon.com/step-functions/pricing/ (US East: $0.0250 per 1,000)
SFN_STATE_TRANSITION = 0.025 / 1_000
# Express (the Distributed Map's children): per request, and per GB-s in 64 MB chunks (first tier)
SFN_EXPRESS_REQUEST = 1.00 / 1_000_000
SFN_EXPRESS_GB_S = 0.00001667

# Amazon DynamoDB on-demand, https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
DYNAMODB_WRITE_REQUEST_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_REQUEST_UNIT = 0.125 / 1_000_000
DYNAMODB_STORAGE_GB_MONTH = 0.25

# AWS Secrets Manager, https://aws.amazon.com/secrets-manager/pricing/
SECRET_MONTH = 0.40
SECRETS_API_CALL = 0.05 / 10_000

# Amazon S3 Standard, https://aws.amazon.com/s3/pricing/
S3_PUT = 0.005 / 1_000   # PUT, COPY, POST, LIST
S3_GET = 0.0004 / 1_000  # GET, SELECT and all other requests

# Amazon CloudWatch Logs, https://aws.amazon.com/cloudwatch/pricing/ (Standard log class ingestion)
LOGS_INGESTED_GB = 0.50

SOURCES = {
    "lambda": "https://aws.amazon.com/lambda/pricing/",
    "stepfunctions": "https://aws.amazon.com/step-functions/pricing/",
    "dynamodb": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "secretsmanager": "https://aws.amazon.com/secrets-manager/pricing/",
    "s3": "https://aws.amazon.com/s3/pricing/",
    "logs": "https://aws.amazon.com/cloudwatch/pricing/",
}
