"""Fixtures for the keystead serve client tests: server/test.sh starts one server (plus one with
TLS on the same data folder) and passes their addresses, the TLS test CA, an access key and the
paths of the data folder and access log through the environment."""

import os

import boto3
import pytest
from botocore.config import Config

URL = os.environ["KEYSTEAD_URL"]
ACCESS_KEY_ID = os.environ["KEYSTEAD_ACCESS_KEY_ID"]
SECRET_ACCESS_KEY = os.environ["KEYSTEAD_SECRET_ACCESS_KEY"]
PRINCIPAL = os.environ["KEYSTEAD_PRINCIPAL"]
DATA_DIR = os.environ["KEYSTEAD_DATA_DIR"]
ACCESS_LOG = os.environ["KEYSTEAD_ACCESS_LOG_FILE"]
OUTSIDER_PRINCIPAL = os.environ["KEYSTEAD_OUTSIDER_PRINCIPAL"]
OUTSIDER_KEY_ID = os.environ["KEYSTEAD_OUTSIDER_KEY_ID"]
OUTSIDER_SECRET = os.environ["KEYSTEAD_OUTSIDER_SECRET"]
TLS_URL = os.environ["KEYSTEAD_TLS_URL"]
TLS_CA_FILE = os.environ["KEYSTEAD_TLS_CA_FILE"]


def make_client(region="us-east-1", key_id=ACCESS_KEY_ID, secret=SECRET_ACCESS_KEY, endpoint=URL, verify=None):
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        verify=verify,
        region_name=region,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        # Errors are asserted, not retried.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="session")
def kms():
    return make_client()
