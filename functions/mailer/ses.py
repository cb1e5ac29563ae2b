"""Delivery through Amazon SES (API v2), as one raw MIME message so both parts are kept.

boto3/botocore are imported lazily: a Lambda that never mails does not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from typing import Any

from functions.mailer.errors import MailError
from functions.mailer.message import Mail, parse_address, recipients, to_mime

# Error codes after which the same message may succeed later.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",  # sending quota / rate
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "RequestTimeout",
        "RequestTimeoutException",
        "SendingPausedException",  # paused by the operator, resumed later
        # credentials / permissions: configuration to fix, not this message's fault
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AccessDenied",
        "AccessDeniedException",
        "SignatureDoesNotMatch",
    }
)
# Everything else (MessageRejected, MailFromDomainNotVerifiedException,
# AccountSuspendedException, BadRequestException, NotFoundException, ...) is permanent.


class SesMailer:
    """Send with an SES v2 client (``boto3.client("sesv2")``); returns SES's MessageId."""

    def __init__(
        self,
        client: Any = None,
        *,
        client_factory: Callable[[], Any] | None = None,
        configuration_set: str | None = None,
    ) -> None:
        if client is None and client_factory is None:
            raise ValueError("SesMailer needs a client or a client_factory")
        self._client = client
        self._factory = client_factory
        self.configuration_set = configuration_set

    @classmethod
    def lazy(
        cls,
        region: str | None = None,
        endpoint_url: str | None = None,
        *,
        configuration_set: str | None = None,
        **client_kwargs: Any,
    ) -> SesMailer:
        """An SesMailer whose boto3 client is made on the first send."""

        def factory() -> Any:
            import boto3

            return boto3.client(
                "sesv2", region_name=region, endpoint_url=endpoint_url, **client_kwargs
            )

        return cls(client_factory=factory, configuration_set=configuration_set)

    @property
    def client(self) -> Any:
        if self._client is None:
            assert self._factory is not None
            self._client = self._factory()
        return self._client

    def send(self, mail: Mail) -> str:
        msg = to_mime(mail)
        to, cc = recipients(msg)
        destination: dict[str, list[str]] = {"ToAddresses": to}
        if cc:
            destination["CcAddresses"] = cc
        request: dict[str, Any] = {
            "FromEmailAddress": parse_address(mail.sender, field="sender").addr_spec,
            "Destination": destination,
            "Content": {"Raw": {"Data": msg.as_bytes(policy=policy.SMTP)}},
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set

        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        try:
            response = self.client.send_email(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            transient = code in TRANSIENT_CODES or status == 429 or status >= 500
            raise MailError(
                f"SES refused the message: {code}: {error.get('Message', '')}",
                transient=transient,
                code=code or None,
            ) from exc
        except ParamValidationError as exc:
            raise MailError(f"SES request invalid: {exc}", transient=False) from exc
        except BotoCoreError as exc:
            # EndpointConnectionError, timeouts, NoCredentialsError, ...
            raise MailError(
                f"SES unreachable: {type(exc).__name__}: {exc}", transient=True
            ) from exc
        return str(response["MessageId"])
