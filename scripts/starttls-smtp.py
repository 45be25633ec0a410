"""A real SMTP server that requires STARTTLS and AUTH (aiosmtpd), for the mail tests.

MailDev never offers STARTTLS, so the STARTTLS test starts this instead:

    python starttls-smtp.py PORT CERT KEY USER PASSWORD

It prints READY when it listens and one line `DELIVERED <recipients>` per accepted message.
"""

import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    async def handle_DATA(self, server, session, envelope):
        print("DELIVERED", ",".join(envelope.rcpt_tos), flush=True)
        return "250 2.0.0 OK"


def main():
    port, cert, key, user, password = sys.argv[1:6]

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=int(port),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    print("READY", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
