"""The mailer against real servers on loopback: aiosmtpd, a folder, moto's SES.

Every server is started here, bound to 127.0.0.1 on a port picked by binding to
port 0 (aiosmtpd cannot take port 0 itself), and every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from functions.mailer import InvalidMailError, Mail, MailError, mailer_from_env, to_mime
from functions.mailer.folder import FolderMailer
from functions.mailer.ses import SesMailer
from functions.mailer.smtp import SmtpMailer
from tests.integration.conftest import SmtpServer, free_port

SUBJECT = "收据 R-1042 — 谢谢！"
TEXT = "Merci ! Reçu R-1042 : 1 250,00 €\nСпасибо. Dziękujemy, zażółć gęślą jaźń.\n"
HTML = "<p>Merci ! Reçu <b>R-1042</b> : 1 250,00 €</p><p>Спасибо. Dziękujemy.</p>"
SENDER = "Agence Dupré <billing@agency.example>"


def receipt(**changes: Any) -> Mail:
    fields: dict[str, Any] = {
        "to": ("Zoë Kowalska-Łęcka <zoe@client.example>",),
        "cc": ("Иван Петров <ivan@client.example>",),
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "sender": SENDER,
        "reply_to": "Ana <ana@agency.example>",
        "message_id": "receipt-R-1042",
        "headers": (("X-Clientportal-Invoice", "R-1042"), ("Auto-Submitted", "auto-generated")),
    }
    fields.update(changes)
    return Mail(**fields)


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def assert_is_receipt(msg: EmailMessage) -> None:
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT
    assert parts[1].get_content().strip() == HTML
    assert str(msg["Subject"]) == SUBJECT
    assert msg["Message-ID"] == "<receipt-R-1042@clientportal>"
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Zoë Kowalska-Łęcka", "zoe@client.example")
    ]
    assert [(a.display_name, a.addr_spec) for a in msg["Cc"].addresses] == [
        ("Иван Петров", "ivan@client.example")
    ]
    assert msg["From"].addresses[0].display_name == "Agence Dupré"
    assert msg["Reply-To"].addresses[0].addr_spec == "ana@agency.example"
    assert msg["X-Clientportal-Invoice"] == "R-1042"
    assert msg["Date"].datetime.tzinfo is not None


# --- the message itself ----------------------------------------------------------------------


def test_mime_is_seven_bit_with_encoded_headers() -> None:
    msg = to_mime(receipt())
    data = msg.as_bytes(policy=policy.SMTP)
    assert data.isascii()  # any relay can carry it, 8BITMIME or not
    assert_is_receipt(parse(data))


def test_generated_message_ids_are_unique_and_ours() -> None:
    a, b = (to_mime(receipt(message_id=""))["Message-ID"] for _ in range(2))
    assert a != b
    assert a.startswith("<") and a.endswith("@clientportal>")


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Receipt\r\nBcc: victim@evil.example"},
        {"subject": "Receipt\nBcc: victim@evil.example"},
        {"subject": "Receipt\u2028Bcc: victim@evil.example"},
        {"to": ("zoe@client.example\r\nBcc: victim@evil.example",)},
        {"cc": ("ivan@client.example\nX: y",)},
        {"sender": "Agence <billing@agency.example>\r\nBcc: victim@evil.example"},
        {"reply_to": "ana@agency.example\r\nBcc: victim@evil.example"},
        {"message_id": "r-1042\r\nBcc: victim@evil.example"},
        {"headers": (("X-Invoice", "R-1042\r\nBcc: victim@evil.example"),)},
        {"headers": (("X-Invoice\r\nBcc", "victim@evil.example"),)},
        {"headers": (("Bcc", "victim@evil.example"),)},  # reserved name
    ],
)
def test_header_injection_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"(?i)line break|header|address"):
        to_mime(receipt(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"to": ()},
        {"to": ("not-an-address",)},
        {"to": ("a@client.example, b@client.example",)},
        {"to": ("zoë@client.example",)},  # non-ASCII local part: would need SMTPUTF8
        {"sender": "<@>"},
    ],
)
def test_invalid_mail_is_a_permanent_mail_error_and_a_value_error(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(InvalidMailError) as caught:
        to_mime(receipt(**changes))
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, MailError) and caught.value.transient is False


@pytest.mark.parametrize(
    ("key", "header"),
    [
        ("receipt-R-1042", "<receipt-R-1042@clientportal>"),
        ("receipt:pi_123", "<receipt%3Api_123@clientportal>"),
        ("reminder.R-1042.7d", "<reminder.R-1042.7d@clientportal>"),
        (".a..b.", "<%2Ea.%2Eb%2E@clientportal>"),
        ("a b<c>@d/%", "<a%20b%3Cc%3E%40d%2F%25@clientportal>"),
        ("reçu", "<re%C3%A7u@clientportal>"),
    ],
)
def test_any_key_makes_a_stable_valid_message_id(key: str, header: str) -> None:
    msg = parse(to_mime(receipt(message_id=key)).as_bytes())
    assert msg["Message-ID"] == header
    assert not msg["Message-ID"].defects


def test_international_domain_is_punycoded() -> None:
    msg = to_mime(receipt(to=("Jürgen <j@bücher.example>",), cc=()))
    assert msg["To"].addresses[0].addr_spec == "j@xn--bcher-kva.example"


def test_a_bare_string_is_not_a_tuple_of_recipients() -> None:
    with pytest.raises(TypeError):
        receipt(to="zoe@client.example")


# --- SMTP (aiosmtpd) -------------------------------------------------------------------------


def test_smtp_delivers_the_receipt_once_with_both_parts(smtp_server: SmtpServer) -> None:
    returned = smtp_server.mailer().send(receipt())

    assert returned == "<receipt-R-1042@clientportal>"
    assert len(smtp_server.handler.envelopes) == 1
    mail_from, rcpt_tos, content = smtp_server.handler.envelopes[0]
    assert mail_from == "billing@agency.example"
    assert rcpt_tos == ["zoe@client.example", "ivan@client.example"]
    assert_is_receipt(parse(content))


@pytest.mark.parametrize(
    ("where", "reply", "transient", "code"),
    [
        ("rcpt", "451 4.3.0 try later", True, 451),
        ("rcpt", "550 5.1.1 no such user", False, 550),
        ("data", "451 4.3.0 try later", True, 451),
        ("data", "554 5.6.0 message refused", False, 554),
    ],
)
def test_smtp_replies_map_to_transient_or_permanent(
    smtp_server: SmtpServer, where: str, reply: str, transient: bool, code: int
) -> None:
    setattr(smtp_server.handler, f"{where}_reply", reply)
    with pytest.raises(MailError) as caught:
        smtp_server.mailer().send(receipt())
    assert caught.value.transient is transient
    assert caught.value.code == code
    assert smtp_server.handler.envelopes == []


def test_smtp_partial_refusal_still_delivers_to_the_others(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse = {"ivan@client.example"}
    smtp_server.mailer().send(receipt())
    assert [rcpts for _, rcpts, _ in smtp_server.handler.envelopes] == [["zoe@client.example"]]


def test_smtp_server_down_is_transient(smtp_server: SmtpServer) -> None:
    mailer = smtp_server.mailer()
    smtp_server.stop()
    with pytest.raises(MailError) as caught:
        mailer.send(receipt())
    assert caught.value.transient is True


def test_smtp_silent_server_times_out_as_transient() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # connects through the backlog, never answers the greeting
        mailer = SmtpMailer("127.0.0.1", listener.getsockname()[1], timeout=0.5)
        started = time.monotonic()
        with pytest.raises(MailError) as caught:
            mailer.send(receipt())
    assert caught.value.transient is True
    assert time.monotonic() - started < 3


def test_smtp_header_injection_fails_before_connecting(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functions.mailer.smtp as smtp_module

    def no_connection(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("connected despite an invalid message")

    monkeypatch.setattr(smtp_module.smtplib, "SMTP", no_connection)
    with pytest.raises(ValueError):
        smtp_server.mailer().send(receipt(subject="Receipt\r\nBcc: victim@evil.example"))
    assert smtp_server.handler.envelopes == []


def test_smtp_login() -> None:
    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"portal",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False)
    try:
        server.mailer(username="portal", password="s3cret").send(receipt())
        assert len(server.handler.envelopes) == 1
        with pytest.raises(MailError) as caught:
            server.mailer(username="portal", password="wrong").send(receipt())
        # bad credentials are the operator's to fix: keep the message for later
        assert caught.value.transient is True
        assert caught.value.code == 535
        assert len(server.handler.envelopes) == 1
    finally:
        server.stop()


def test_smtp_starttls_not_offered_is_transient(smtp_server: SmtpServer) -> None:
    with pytest.raises(MailError) as caught:
        smtp_server.mailer(starttls=True).send(receipt())
    assert caught.value.transient is True
    assert smtp_server.handler.envelopes == []


def test_smtp_starttls(tmp_path: Path) -> None:
    cert_file, key_file = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(cafile=str(cert_file))
    server = SmtpServer(tls_context=server_context, require_starttls=True)
    try:
        server.mailer(starttls=True, ssl_context=client_context).send(receipt())
        assert len(server.handler.envelopes) == 1
        # an untrusted certificate is a configuration problem: transient
        with pytest.raises(MailError) as caught:
            server.mailer(starttls=True).send(receipt())
        assert caught.value.transient is True
        assert len(server.handler.envelopes) == 1
    finally:
        server.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


# --- folder ----------------------------------------------------------------------------------


def test_folder_writes_parseable_eml_files(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"  # created on first send
    mailer = FolderMailer(outbox)
    returned = mailer.send(receipt())
    mailer.send(receipt(message_id="reminder-R-1042-7d", subject="Rappel"))

    assert returned == "<receipt-R-1042@clientportal>"
    names = sorted(p.name for p in outbox.iterdir())
    assert names == ["receipt-R-1042@clientportal.eml", "reminder-R-1042-7d@clientportal.eml"]
    assert_is_receipt(parse((outbox / names[0]).read_bytes()))


def test_folder_same_message_id_twice_is_one_file(tmp_path: Path) -> None:
    mailer = FolderMailer(tmp_path)
    first = mailer.send(receipt())
    second = mailer.send(receipt(subject="changed on retry"))
    assert first == second
    assert [p.name for p in tmp_path.iterdir()] == ["receipt-R-1042@clientportal.eml"]
    kept = parse((tmp_path / "receipt-R-1042@clientportal.eml").read_bytes())
    assert str(kept["Subject"]) == SUBJECT  # the first delivery stands


def test_folder_file_name_from_an_outbox_key(tmp_path: Path) -> None:
    FolderMailer(tmp_path).send(receipt(message_id="receipt:pi_123"))
    (path,) = tmp_path.iterdir()
    assert path.name == "receipt%3Api_123@clientportal.eml"
    assert parse(path.read_bytes())["Message-ID"] == "<receipt%3Api_123@clientportal>"


def test_folder_without_id_gets_one_file_per_message(tmp_path: Path) -> None:
    mailer = FolderMailer(tmp_path)
    ids = {mailer.send(receipt(message_id="")) for _ in range(3)}
    assert len(ids) == 3
    assert len(list(tmp_path.glob("*.eml"))) == 3
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_folder_unwritable_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(MailError) as caught:
        FolderMailer(blocker / "outbox").send(receipt())
    assert caught.value.transient is True


# --- SES (moto's standalone server) ----------------------------------------------------------


class Moto:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        executable = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1) as response:
                    response.read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    pytest.fail(f"moto_server did not start on port {self.port}")
                time.sleep(0.05)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def ses_data(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=5) as response:
            return json.load(response)["ses"]

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "sesv2",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
        )


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Moto]:
    server = Moto()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def moto(moto_server: Moto) -> Moto:
    moto_server.reset()
    return moto_server


def test_ses_sends_the_raw_receipt(moto: Moto) -> None:
    client = moto.client()
    client.create_email_identity(EmailIdentity="billing@agency.example")

    message_id = SesMailer(client).send(receipt())

    (sent,) = moto.ses_data()["RawMessage"]
    assert sent["id"] == message_id
    assert sent["source"] == "billing@agency.example"
    # moto appends the header recipients to the Destination ones: SES itself sends once each
    assert {"zoe@client.example", "ivan@client.example"} <= set(sent["destinations"])
    # with Raw content moto keeps the whole MIME message, both parts included
    assert_is_receipt(parse(sent["raw_data"].encode()))


def test_ses_unverified_sender_is_permanent(moto: Moto) -> None:
    with pytest.raises(MailError) as caught:
        SesMailer(moto.client()).send(receipt())
    assert caught.value.transient is False
    assert caught.value.code == "MessageRejected"
    assert moto.ses_data()["RawMessage"] == []


def test_ses_unreachable_is_transient() -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "sesv2",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    with pytest.raises(MailError) as caught:
        SesMailer(client).send(receipt())
    assert caught.value.transient is True


class FakeSes:
    """Only for error shapes moto cannot produce (throttling)."""

    def __init__(self, code: str, status: int) -> None:
        self.code, self.status = code, status

    def send_email(self, **request: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": self.code, "Message": "no"},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            },
            "SendEmail",
        )


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("TooManyRequestsException", 429, True),
        ("Throttling", 400, True),
        ("ServiceUnavailable", 503, True),
        ("MessageRejected", 400, False),
        ("MailFromDomainNotVerifiedException", 400, False),
        ("AccountSuspendedException", 400, False),
    ],
)
def test_ses_error_codes(code: str, status: int, transient: bool) -> None:
    with pytest.raises(MailError) as caught:
        SesMailer(FakeSes(code, status)).send(receipt())
    assert caught.value.transient is transient
    assert caught.value.code == code


# --- choosing the backend --------------------------------------------------------------------


def test_env_default_is_the_folder(tmp_path: Path) -> None:
    mailer = mailer_from_env({})
    assert isinstance(mailer, FolderMailer)
    assert mailer.folder == Path(".portal/outbox")

    mailer = mailer_from_env({"MAIL_FOLDER": str(tmp_path)})
    assert isinstance(mailer, FolderMailer)
    mailer.send(receipt())
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_env_smtp_host_selects_smtp(smtp_server: SmtpServer) -> None:
    mailer = mailer_from_env({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port)})
    assert isinstance(mailer, SmtpMailer)
    mailer.send(receipt())
    assert len(smtp_server.handler.envelopes) == 1

    defaults = mailer_from_env({"SMTP_HOST": "mail.example"})
    assert isinstance(defaults, SmtpMailer)
    assert (defaults.port, defaults.starttls, defaults.username) == (25, False, None)

    configured = mailer_from_env(
        {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "mail.example",
            "SMTP_PORT": "587",
            "SMTP_STARTTLS": "true",
            "SMTP_USERNAME": "portal",
            "SMTP_PASSWORD": "s3cret",
        }
    )
    assert isinstance(configured, SmtpMailer)
    assert (configured.port, configured.starttls, configured.username) == (587, True, "portal")
    assert "s3cret" not in repr(configured)


def test_env_backend_overrides_smtp_host(tmp_path: Path) -> None:
    mailer = mailer_from_env(
        {"MAIL_BACKEND": "folder", "SMTP_HOST": "mail.example", "MAIL_FOLDER": str(tmp_path)}
    )
    assert isinstance(mailer, FolderMailer)


def test_env_ses(moto: Moto) -> None:
    moto.client().create_email_identity(EmailIdentity="agency.example")  # a domain identity
    mailer = mailer_from_env(
        {
            "MAIL_BACKEND": "ses",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    assert isinstance(mailer, SesMailer)
    message_id = mailer.send(receipt())
    assert [m["id"] for m in moto.ses_data()["RawMessage"]] == [message_id]


def test_env_ses_does_not_import_boto3_until_it_sends() -> None:
    code = (
        "import sys\n"
        "from functions.mailer import mailer_from_env\n"
        "mailer = mailer_from_env({'MAIL_BACKEND': 'ses', 'AWS_REGION': 'us-east-1'})\n"
        "assert type(mailer).__name__ == 'SesMailer'\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=20)


@pytest.mark.parametrize(
    "env",
    [
        {"MAIL_BACKEND": "pigeon"},
        {"MAIL_BACKEND": "smtp"},
        {"MAIL_BACKEND": "ses"},
        {"SMTP_HOST": "mail.example", "SMTP_PORT": "twenty-five"},
        {"SMTP_HOST": "mail.example", "SMTP_STARTTLS": "maybe"},
    ],
)
def test_env_bad_settings(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        mailer_from_env(env)


def test_a_mail_survives_the_outbox_as_json() -> None:
    mail = Mail(
        to=("Ana <ana@example.com>",),
        cc=("lead@example.com",),
        subject="Invoice INV-1042 is due in 5 days",
        text="Hello",
        html="<p>Hello</p>",
        sender="billing@agency.example",
        message_id="reminder:INV-1042:1:before-5",
        headers=(("X-Portal-Step", "before-5"),),
    )
    assert Mail.from_payload(json.loads(json.dumps(mail.as_payload()))) == mail
