"""Real IRC servers for the IRC adapter's tests, and a plain-socket IRC client to talk to the bot.

* `ngircd` (session): Debian's ngircd on a free loopback port; `make_ngircd` starts private ones
  (a test that kills and restarts its server gets its own).
* `inspircd_atheme` (session): InspIRCd 3 with Atheme services linked to it, for SASL and accounts.
* `IrcClient`: connect, CAP, SASL, JOIN, send, and wait for lines matching a pattern, with timeouts.
* `run_bot`: the IRC adapter in a thread (the reactor) on the real core and a SQLite file in tmp_path.

A missing server binary fails the run (never a skip): CI must install it (.ci/run).
"""
from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

import pytest

SERVER_NAME = "irc.test.local"
SERVICES_NAME = "services.test.local"
INSP_NETWORK = "TestNet"
OPER_NAME, OPER_PASSWORD = "tester", "testpw"

# A self-signed certificate for 127.0.0.1 and localhost, valid until 2126, for the TLS tests only (loopback;
# kept here so CI needs no openssl binary). Made with: openssl req -x509 -newkey rsa:2048 -nodes
# -days 36500 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost
TEST_TLS_CERT = """\
-----BEGIN CERTIFICATE-----
MIIDJzCCAg+gAwIBAgIUXTczpaZwYEeijUKCM6q3BO0E+ikwDQYJKoZIhvcNAQEL
BQAwFDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyNzA1MzQ1NFoYDzIxMjYx
MTAzMDUzNDU0WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQCnYdOenv1ezrb+iRxauMNwpY+JpSqlKTjGmji3tnjX
CH8lbbMM8A0iUeScfHGtB2AdkmSaaRzSK6j9n1hFtrJYx8Uy7ROblrArLikmw+qI
IbsJiNs4lnZqhSt/FqLeJE+nabHTfEC2oEqbKgAZLHCm0KO6ol9PX4d7USH6/XJc
nPSUps2S/oWa291vC8uC/WVq3NCL0WmEtGuu0bWBxPJjjbiLg0EYq2HTYmBfM1MW
eCkQ14e9uqumv26jpWIfYZ5SnvoBS8XcaMdmnJajqVxd3FDRtjzK8vdW7GtVpP+f
W1H3Iu2MC0iSJX0/xXG3hAxAsR4fHAW/uAs5co6Vp6D1AgMBAAGjbzBtMB0GA1Ud
DgQWBBRy5Yh7dLUkcsblA8CdOgAhn7JYiTAfBgNVHSMEGDAWgBRy5Yh7dLUkcsbl
A8CdOgAhn7JYiTAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwDwYDVR0TAQH/
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAo0/S76eD94GEtn7Fy7N/yTkZ3Uyc
bW5xmZ2uMDecRJbgU+AKMOIHFu1+A7v05ueHLnFooIFv0r/0scxQB5rbE8M9QQka
naODXLRZ0bfYS7nozAo3xOxwEvxGdJp3OQnj1q9Jpo9AJ9NYzBNpl3frud+MIVOc
EZc0HGqRR2CLkDsstkTdh50lLDwlP5R14R0XPyxibPGd6F7Dl1IKBg8XhulgjQAH
2xgBIFywPH52cX4J4ETsnIwmAum0ztxaCpSweUessQe/cRHxuNLIJIRuHRADcYZX
pan2a81ZnDRPSTN1Pw9DXcHKtaHnZQEhhuDF18Aprc3ALMmCWc2TOWuxcw==
-----END CERTIFICATE-----
"""
TEST_TLS_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCnYdOenv1ezrb+
iRxauMNwpY+JpSqlKTjGmji3tnjXCH8lbbMM8A0iUeScfHGtB2AdkmSaaRzSK6j9
n1hFtrJYx8Uy7ROblrArLikmw+qIIbsJiNs4lnZqhSt/FqLeJE+nabHTfEC2oEqb
KgAZLHCm0KO6ol9PX4d7USH6/XJcnPSUps2S/oWa291vC8uC/WVq3NCL0WmEtGuu
0bWBxPJjjbiLg0EYq2HTYmBfM1MWeCkQ14e9uqumv26jpWIfYZ5SnvoBS8XcaMdm
nJajqVxd3FDRtjzK8vdW7GtVpP+fW1H3Iu2MC0iSJX0/xXG3hAxAsR4fHAW/uAs5
co6Vp6D1AgMBAAECggEAAKVP3K/iTLuuRbchyueTHzeiHczVv4y10Zq+9XCdUSlL
LAWvDk3lt311WjSacQuFcM2Vhz5t7xS7OLyeVZ8xf/NJqfZT8GUSX5vo6Prjq/xM
PMyTTuYN9wqnqkI8jxLnX4hNhoB/MkzcrGgr2O0D6CQRfihcqdXuOKZ5k98ZAL2x
llGofgy/5wicTFMBwqvspGbvbLcjOybG9ZpOk4Ey2RKMirgVBSEtUWHiUxq5wHfY
DBTh1mKCkmIWp/rrKgFWMGMS95c4DNUXSiw81v77b3Y/VHbjB3cz4SxLM/jpsmXl
um3lP7mnG4MpYMLycfc1Qj4ZqoSJsTXRbFqlWvyUvwKBgQDSkAFpKOTU/PC1v053
5J8kbXfLcQY1rQjksL0UC7kXzUk0z2mHaGehy87MfdbjTNtfQqrQ4YGrauLdlFty
iyLDYqN7MdyiTdxBedYMFheFcSZXjP6fQFmRB1PI/j8ZtjlU2iD2QdBCiEuuvACu
eKdHSLnxdVgeKVtwgJEw01++uwKBgQDLgG4G3n2sjLMIVqb46RtJx0Wfn1zSNFNp
kuY8XJY8lA0V716cIZWUZhZh8Z2UeBFcwpbVXBCVgLHFeeoOJld4uKVosMCMlrJg
BiwZ8PS2w9/PHSQ3dC5vNR2A2ZQciMUu/mU4vnj7dPn4MoftiX6mCC1I7UCKG0kg
W0347R0cDwKBgAy9M6imFbohF3sXeOreBRbSHKZNTz/eGSSk4LuevfMHs38jcVIE
6ggq6XcLwf18f+Uyhl0e15aEX/dh62pxqofBpvxkFuIm7cV0VpPinkevgc9YM2t1
HDYfCF2nrC+lC7DrhYUAlFYCIvoOW8gyeoRgjQdjvxIMFIEo9h/LGgbTAoGAM3bx
XG9cHQ0gIdW4OG7LZectZmbpFIgDKEnsTAumOv++J3P320hrCbKfqnluPqP20Byu
BJtZ3lVDoAtq89UiffdEbat1pphd2Ab3lD/pw2bZ7QkTpaqOK7WlFnbwDB9SrsXL
V4RkGEPHC8vLsHj7PIYI3c6SadrorXQpzfA5UmUCgYEAnmBKrExnTqTV7v5RWL6D
xW2nld0+x7ceBtkTKRwm7P3ZMl+c4Qw/AtLO8lASOaQDpcxcO87/KPLtC2FGqkaW
J64RjNFC1w8x85Uyu9EEmIQ5DnihF7+3US8FUNCk9j9liKs5++N0ozP/KN50Fv3f
t+RgmFzaMKZ0rYjUKOyOcPE=
-----END PRIVATE KEY-----
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_binary(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)
    if not path:
        pytest.fail(f"{name} is not installed: the IRC tests need it (apt-get install --no-install-recommends "
                    f"ngircd inspircd atheme-services); they are never skipped", pytrace=False)
    return path


def wait_port(port: int, timeout: float = 10.0, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


# -- ngircd ------------------------------------------------------------------------------------

class Ngircd:
    """One ngircd (as platforms.md says: PAM, ident and DNS off, empty IncludeDir, long nicks, a dotted name)."""

    network = SERVER_NAME  # the bot's IRC_NETWORK defaults to the server host; tests set it to this

    def __init__(self, workdir: str, port: int | None = None, penalties: bool = True, tls: bool = False,
                 password: str | None = None):
        """`penalties=False` sets MaxPenaltyTime = 0: no 1-second holds on JOIN or every 7th quick line,
        for any client (the bot's own pacing is tested on a server with them on). `tls=True` adds a TLS
        port (`tls_port`) with a self-signed certificate for 127.0.0.1 (`cert`, the CA file to trust)."""
        self.dir = workdir
        os.makedirs(os.path.join(workdir, "include"), exist_ok=True)
        self.port = port or free_port()
        self.tls_port = free_port() if tls else None
        self.cert = os.path.join(workdir, "cert.pem") if tls else None
        ssl_section = ""
        if tls:
            key = os.path.join(workdir, "key.pem")
            with open(key, "w") as f:
                f.write(TEST_TLS_KEY)
            with open(self.cert, "w") as f:
                f.write(TEST_TLS_CERT)
            os.chmod(key, 0o644)  # ngircd reads it after switching to nobody
            ssl_section = f"[SSL]\nCertFile = {self.cert}\nKeyFile = {key}\nPorts = {self.tls_port}\n"
        self.conf = os.path.join(workdir, "ngircd.conf")
        self.log = os.path.join(workdir, "ngircd.log")
        self.proc: subprocess.Popen | None = None
        with open(self.conf, "w") as f:
            f.write(f"""[Global]
Name = {SERVER_NAME}
{f"Password = {password}" if password else ""}
Info = Goalkeeper test server
Listen = 127.0.0.1
Ports = {self.port}
[Limits]
{"" if penalties else "MaxPenaltyTime = 0"}
MaxNickLength = 30
MaxConnectionsIP = 0
PingTimeout = 120
PongTimeout = 20
[Options]
PAM = no
Ident = no
DNS = no
IncludeDir = {os.path.join(workdir, "include")}
[Operator]
Name = {OPER_NAME}
Password = {OPER_PASSWORD}
{ssl_section}""")

    def start(self) -> "Ngircd":
        binary = need_binary("ngircd")
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([binary, "-n", "-f", self.conf], stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        logf.close()
        wait_port(self.port, proc=self.proc)
        if self.tls_port:
            wait_port(self.tls_port, proc=self.proc)
        return self

    def kill(self) -> None:
        """SIGKILL: the server vanishes without a word, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="session")
def ngircd(tmp_path_factory):
    server = Ngircd(str(tmp_path_factory.mktemp("ngircd")), penalties=False).start()
    yield server
    server.stop()


@pytest.fixture
def make_ngircd():
    """Private ngircd instances for tests that kill or pause their server, or need TLS."""
    made: list[Ngircd] = []
    # not under pytest's tmp dir, whose parents are root-only: ngircd runs as nobody and reads its key late
    workdir = tempfile.mkdtemp(prefix="goalkeeper-ngircd-")
    os.chmod(workdir, 0o755)

    def make(penalties: bool = True, tls: bool = False, password: str | None = None) -> Ngircd:
        s = Ngircd(os.path.join(workdir, f"ngircd{len(made)}"), penalties=penalties, tls=tls,
                   password=password).start()
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
    shutil.rmtree(workdir, ignore_errors=True)


# -- InspIRCd + Atheme ---------------------------------------------------------------------------

class InspircdAtheme:
    """InspIRCd 3 with Atheme 7 linked to it, both run as user `irc` (InspIRCd refuses root)."""

    network = INSP_NETWORK

    def __init__(self, workdir: str):
        self.dir = workdir
        self.port, self.link_port = free_port(), free_port()
        self.procs: list[subprocess.Popen] = []
        os.makedirs(os.path.join(workdir, "data"), exist_ok=True)
        os.makedirs(os.path.join(workdir, "logs"), exist_ok=True)
        with open(os.path.join(workdir, "motd.txt"), "w") as f:
            f.write("test\n")
        with open(os.path.join(workdir, "inspircd.conf"), "w") as f:
            f.write(self._inspircd_conf())
        with open(os.path.join(workdir, "atheme.conf"), "w") as f:
            f.write(self._atheme_conf())
        if os.geteuid() == 0:  # InspIRCd refuses to run as root: both daemons run as `irc`
            subprocess.run(["chown", "-R", "irc:irc", workdir], check=True)
        os.chmod(workdir, 0o755)

    def _inspircd_conf(self) -> str:
        d = self.dir
        modules = "".join(f'<module name="{m}">\n' for m in (
            "cap", "ircv3", "ircv3_accounttag", "sasl", "services_account", "spanningtree", "servprotect",
            "chghost", "svshold", "hidechans"))
        return f"""<server name="{SERVER_NAME}" description="test" network="{INSP_NETWORK}" id="0AA">
<admin name="a" nick="a" email="a@test.local">
<bind address="127.0.0.1" port="{self.port}" type="clients">
<bind address="127.0.0.1" port="{self.link_port}" type="servers">
<power diepass="diepw" restartpass="restartpw">
<connect name="main" allow="*" timeout="20" pingfreq="120" hardsendq="4194304" softsendq="1048576" recvq="65536"
 threshold="100000" commandrate="100000" fakelag="off" localmax="1000" globalmax="1000" useident="no"
 resolvehostnames="no">
<files motd="{d}/motd.txt">
<path configdir="{d}" datadir="{d}/data" logdir="{d}/logs" moduledir="/usr/lib/inspircd/modules">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no"
 hidebans="no" maxtargets="20">
<performance quietbursts="yes" softlimit="1024" somaxconn="128" netbuffersize="10240" nouserdns="yes">
<limits maxnick="30" maxchan="64" maxkick="255" maxtopic="307" maxquit="255" maxreal="128" maxaway="200"
 maxident="10" maxhost="64">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{d}/logs/ircd.log">
{modules}<link name="{SERVICES_NAME}" ipaddr="127.0.0.1" port="{self.link_port}" allowmask="127.0.0.0/8"
 sendpass="linkpw" recvpass="linkpw">
<uline server="{SERVICES_NAME}" silent="yes">
<sasl target="{SERVICES_NAME}">
"""

    def _atheme_conf(self) -> str:
        mods = "".join(f'loadmodule "modules/{m}";\n' for m in (
            "protocol/inspircd", "backend/opensex", "crypto/pbkdf2v2", "nickserv/main", "nickserv/register",
            "nickserv/identify", "saslserv/main", "saslserv/plain"))
        return mods + f"""serverinfo {{
	name = "{SERVICES_NAME}"; desc = "Atheme IRC Services"; numeric = "00A"; recontime = 1;
	netname = "{INSP_NETWORK}"; hidehostsuffix = "users.test"; adminname = "admin";
	adminemail = "admin@test.local"; registeremail = "noreply@test.local"; mta = "/bin/true";
	loglevel = {{ error; }}; maxlogins = 5; maxusers = 5; mdlimit = 30; emaillimit = 10;
	emailtime = 300; auth = none; casemapping = rfc1459;
}};
uplink "{SERVER_NAME}" {{
	host = "127.0.0.1"; port = {self.link_port}; send_password = "linkpw"; receive_password = "linkpw";
}};
nickserv {{ nick = "NickServ"; user = "NickServ"; host = "{SERVICES_NAME}"; real = "Nickname Services"; }};
saslserv {{ nick = "SaslServ"; user = "SaslServ"; host = "{SERVICES_NAME}"; real = "SASL Agent"; }};
general {{
	helpchan = "#help"; uflags = {{ hidemail; }}; cflags = {{ guard; }}; flood_msgs = 1000; flood_time = 10;
	kline_time = 30; commit_interval = 5; default_clone_allowed = 1000; default_clone_warn = 1000;
}};
logfile "{self.dir}/atheme.log" {{ error; info; }};
"""

    def start(self) -> "InspircdAtheme":
        inspircd, atheme = need_binary("inspircd"), need_binary("atheme-services")
        setpriv = ["setpriv", "--reuid=irc", "--regid=irc", "--clear-groups"] if os.geteuid() == 0 else []
        for stale in ("data/services.db", "data/atheme.pid"):
            if os.path.exists(os.path.join(self.dir, stale)):
                os.remove(os.path.join(self.dir, stale))
        out = open(os.path.join(self.dir, "inspircd.out"), "ab")
        self.procs.append(subprocess.Popen(
            setpriv + [inspircd, f"--config={self.dir}/inspircd.conf", "--nofork", "--nopid"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        wait_port(self.port, proc=self.procs[-1])
        wait_port(self.link_port, proc=self.procs[-1])
        out = open(os.path.join(self.dir, "atheme.out"), "ab")
        self.procs.append(subprocess.Popen(
            setpriv + [atheme, "-n", "-c", f"{self.dir}/atheme.conf", "-D", f"{self.dir}/data",
                       "-l", f"{self.dir}/atheme.log", "-p", f"{self.dir}/data/atheme.pid"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.PIPE))
        self._wait_sasl()
        return self

    def _wait_sasl(self, timeout: float = 15.0) -> None:
        """Ready when `sasl` is in CAP LS: Atheme has linked."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for p in self.procs:
                if p.poll() is not None:
                    name = next(a for a in p.args if "inspircd" in a or "atheme" in a)
                    raise RuntimeError(f"{name} exited with {p.returncode}; see {self.dir}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"CAP LS 302\r\n")
                    data = s.recv(4096)
                    s.sendall(b"QUIT\r\n")
                if b"sasl" in data:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"Atheme did not link to InspIRCd within {timeout}s; see {self.dir}")

    def register(self, account: str, password: str) -> None:
        """A NickServ account (REGISTER logs the registering client in; that client then leaves)."""
        c = IrcClient(self.port, account).connect()
        try:
            c.say("NickServ", f"REGISTER {password} {account}@test.local")
            c.wait_for(r" 900 |registered", timeout=10)
        finally:
            c.close()

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


@pytest.fixture(scope="session")
def inspircd_atheme():
    # not under pytest's tmp dir: its parents are root-only (0700) and the daemons run as `irc`
    workdir = tempfile.mkdtemp(prefix="goalkeeper-inspircd-")
    server = InspircdAtheme(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# -- a plain IRC client ------------------------------------------------------------------------------

@dataclass
class Line:
    raw: bytes  # as received, without CRLF
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @property
    def untagged(self) -> str:
        """The line without its IRCv3 tags (`@account=greg :greg!... PRIVMSG ...` -> `:greg!... PRIVMSG ...`)."""
        t = self.text
        return t.split(" ", 1)[1] if t.startswith("@") else t

    @property
    def body(self) -> str:
        """The trailing parameter (a PRIVMSG's text)."""
        return self.untagged.split(" :", 1)[1] if " :" in self.untagged else ""


class IrcClient:
    """A raw-socket IRC client that keeps every line it receives, for tests to wait on."""

    def __init__(self, port: int, nick: str, user: str | None = None, caps: tuple[str, ...] = (),
                 sasl: tuple[str, str] | None = None, oper: bool = False, host: str = "127.0.0.1",
                 password: str | None = None):
        self.port, self.nick, self.user, self.host = port, nick, user or nick, host
        self.password = password
        self.caps, self.sasl, self.oper = tuple(caps), sasl, oper
        self.lines: list[Line] = []
        self._cond = threading.Condition()
        self.sock: socket.socket | None = None
        self.closed = False
        IrcClient.made.append(self)

    made: list["IrcClient"] = []  # closed after each test: a test run on both stores reuses its nicks

    # connection
    def connect(self, timeout: float = 10.0) -> "IrcClient":
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()
        caps = list(self.caps) + (["sasl"] if self.sasl else [])
        if caps:
            self.send("CAP LS 302")
        if self.password:
            self.send(f"PASS {self.password}")
        self.send(f"NICK {self.nick}")
        self.send(f"USER {self.user} 0 * :test client {self.nick}")
        if caps:
            self.wait_for(r" CAP \S+ LS ", timeout)
            self.send("CAP REQ :" + " ".join(caps))
            self.wait_for(r" CAP \S+ (ACK|NAK) ", timeout)
            if self.sasl:
                self.send("AUTHENTICATE PLAIN")
                self.wait_for(r"^AUTHENTICATE :?\+", timeout)
                account, password = self.sasl
                blob = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
                self.send(f"AUTHENTICATE {blob}")
                outcome = self.wait_for(r" 90[2-8] ", timeout).group(0)
                if outcome.strip() != "903":
                    raise AssertionError(f"{self.nick}: SASL login as {account} failed: {self.lines[-1].text}")
            self.send("CAP END")
        end, retried = time.monotonic() + timeout, 0
        while True:  # the same nick from the test's run on the other store may linger a moment
            with self._cond:
                texts = [l.text for l in self.lines]
            m = next((m for m in map(re.compile(r" 001 (\S+) ").search, texts) if m), None)
            if m:
                break
            if time.monotonic() > end:
                raise AssertionError(f"{self.nick}: not registered within {timeout}s; last: {texts[-3:]}")
            in_use = sum(1 for t in texts if " 433 " in t)
            if in_use > retried:
                retried = in_use
                time.sleep(0.2)
                self.send(f"NICK {self.nick}")
            time.sleep(0.02)
        self.nick = m.group(1)
        if self.oper:  # relaxed flood protection (+F): no 1-second stalls for this client on ngircd
            self.send(f"OPER {OPER_NAME} {OPER_PASSWORD}")
            self.wait_for(r" 381 ", timeout)
            self.send(f"MODE {self.nick} +F")
        return self

    def close(self) -> None:
        if self.sock and not self.closed:
            self.closed = True
            try:
                self.sock.sendall(b"QUIT :bye\r\n")
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self.closed = True
                    self._cond.notify_all()
                return
            buf += data
            *complete, buf = buf.split(b"\r\n")
            with self._cond:
                for raw in complete:
                    if raw.startswith(b"PING "):
                        self.sock.sendall(b"PONG " + raw[5:] + b"\r\n")
                    self.lines.append(Line(raw))
                self._cond.notify_all()

    # sending
    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        self.sock.sendall(data + b"\r\n")

    def say(self, target: str, text: str) -> None:
        self.send(f"PRIVMSG {target} :{text}")

    def join(self, *channels: str, timeout: float = 10.0) -> None:
        for c in channels:
            mark = self.mark()
            self.send(f"JOIN {c}")
            self.wait_for(rf" 366 \S+ {re.escape(c)} ", timeout, since=mark)

    # receiving
    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def wait_for(self, pattern: str, timeout: float = 5.0, since: int = 0) -> re.Match:
        """The first line from index `since` on whose text matches `pattern`."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        i = since
        with self._cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i].text)
                    if m:
                        return m
                    i += 1
                left = end - time.monotonic()
                if left <= 0:
                    tail = "\n  ".join(l.text for l in self.lines[max(since, len(self.lines) - 15):])
                    raise AssertionError(f"{self.nick}: no line matching {pattern!r} within {timeout}s; last lines:\n  {tail}")
                self._cond.wait(left)

    def collect(self, pattern: str, count: int, timeout: float = 10.0, since: int = 0) -> list[Line]:
        """The first `count` lines matching `pattern` from `since` on (waits for them)."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [l for l in self.lines[since:] if rx.search(l.text)]
                if len(found) >= count:
                    return found[:count]
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.nick}: {len(found)} of {count} lines matching {pattern!r} "
                                         f"within {timeout}s; last: {[l.text for l in found[-3:]]}")
                self._cond.wait(left)

    def matching(self, pattern: str, since: int = 0) -> list[Line]:
        rx = re.compile(pattern)
        with self._cond:
            return [l for l in self.lines[since:] if rx.search(l.text)]


def connect_all(*clients: IrcClient, join: tuple[str, ...] = (), timeout: float = 10.0) -> None:
    """Connect clients (and join them to `join`) in parallel: each registration or JOIN may cost a second."""
    errors: list[BaseException] = []

    def go(c):
        try:
            c.connect(timeout)
            if join:
                c.join(*join, timeout=timeout)
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# -- a scripted server ----------------------------------------------------------------------------------

class ScriptedServer:
    """A listening socket that plays the server's part line by line, for what no real server here does
    on demand (a server without account-tag but with account-notify, a nick refused as erroneous). It keeps
    every line the bot sends and answers PING; everything else is the test's to say."""

    network = "net"

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.conn: socket.socket | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with self._cond:
            self.conn = conn
            self._cond.notify_all()
        buf = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                return
            buf += data
            *complete, buf = buf.split(b"\r\n")
            for raw in complete:
                line = raw.decode("utf-8", "replace")
                if line.startswith("PING "):
                    self.send(f":{SERVER_NAME} PONG {SERVER_NAME} :{line[5:].lstrip(':')}")
                with self._cond:
                    self.lines.append(line)
                    self._cond.notify_all()

    def send(self, line: str) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self.conn is not None, 10)
        self.conn.sendall(line.encode() + b"\r\n")

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 10.0) -> list[str]:
        """The first `count` lines from the bot matching `pattern` (waits for them)."""
        rx = re.compile(pattern)
        with self._cond:
            if not self._cond.wait_for(lambda: len([l for l in self.lines if rx.search(l)]) >= count, timeout):
                raise AssertionError(f"no {count} lines matching {pattern!r} within {timeout}s: {self.lines[-10:]}")
            return [l for l in self.lines if rx.search(l)][:count]

    def welcome(self, caps: str, nick: str = "gkbot") -> None:
        """CAP LS offering `caps`, ACK of each request, then 001 and the bot's own JOINs echoed."""
        self.wait_for(r"^CAP LS")
        self.send(f":{SERVER_NAME} CAP * LS :{caps}")
        for req in self.wait_for(r"^CAP REQ", count=len(caps.split())):
            self.send(f":{SERVER_NAME} CAP {nick} ACK :{req.split(':', 1)[1]}")
        self.wait_for(r"^CAP END")
        self.send(f":{SERVER_NAME} 001 {nick} :Welcome")
        for chan in self.wait_for(r"^JOIN ")[0].split(" ", 1)[1].split(","):
            self.send(f":{nick}!gk@bot.host JOIN {chan} * :Goalkeeper")

    def close(self) -> None:
        self.listener.close()
        if self.conn:
            self.conn.close()


@pytest.fixture
def scripted_server():
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _close_irc_clients():
    yield
    while IrcClient.made:
        IrcClient.made.pop().close()


# -- the bot, in-process ----------------------------------------------------------------------------

class BotRunner:
    """The IRC adapter on the real core, its reactor in a thread."""

    def __init__(self, env: dict, db_path: str, busy_timeout_ms: int = 5000, clock=None):
        from adapters.bootstrap import bootstrap
        from adapters.irc import IrcAdapter, IrcConfig

        from tests.fixtures_core import store_env

        self.env = {**store_env(db_path), "GOALKEEPER_BUSY_TIMEOUT_MS": str(busy_timeout_ms), **env}
        self.db_path = db_path
        self.incidents: list[str] = []
        app = bootstrap(self.env, log=self.incidents.append)
        self.store, self.bot = app.store, app.core
        self.adapter = IrcAdapter(IrcConfig.from_env(self.env), self.bot, clock)
        self.thread = threading.Thread(target=self.adapter.run, daemon=True, name="irc-reactor")

    def start(self, timeout: float = 10.0, wait: bool = True) -> "BotRunner":
        self.thread.start()
        if wait:
            self.wait_joined(timeout, own_nick=wait != "joined")
        return self

    def wait_joined(self, timeout: float = 10.0, own_nick: bool = True) -> None:
        """Registered, in every channel, and (unless told otherwise) under its own nick: a bot stopped
        by the previous test may hold the nick a moment longer while the server works off its penalty."""
        want = {c.lower() for c in self.adapter.cfg.channels}
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            a = self.adapter
            if a.registered and want <= set(a.joined) and (not own_nick or a.nick == a.cfg.nick):
                return
            time.sleep(0.01)
        raise AssertionError(f"bot did not join {sorted(want)} within {timeout}s (joined {sorted(self.adapter.joined)})")

    def stop(self) -> None:
        self.adapter.stop()
        self.thread.join(10)
        self.store.close()


@pytest.fixture
def run_bot(tmp_path, store_kind):
    """run_bot(server, channels, nick=..., **IRC_* overrides) -> a started BotRunner (stopped after the test)."""
    runners: list[BotRunner] = []

    def run(server, channels, nick="gkbot", wait=True, db=None, busy_timeout_ms=5000, clock=None,
            **env) -> BotRunner:
        full = {"IRC_SERVER": "127.0.0.1", "IRC_PORT": str(server.port), "IRC_TLS": "0", "IRC_NICK": nick,
                "IRC_CHANNELS": ",".join(channels), "IRC_NETWORK": server.network,
                "IRC_RATE": "50", "IRC_BURST": "20", "IRC_RECONNECT_MIN": "0.2", "IRC_RECONNECT_MAX": "1",
                "IRC_TICK_INTERVAL": "0.2", "IRC_NICK_RETRY": "1",
                **{k: str(v) for k, v in env.items()}}
        r = BotRunner(full, db or str(tmp_path / f"bot{len(runners)}.db"), busy_timeout_ms, clock)
        runners.append(r)
        return r.start(wait=wait)

    yield run
    for r in runners:
        r.stop()


def bot_says(client: IrcClient, bot_nick: str, target: str, since: int = 0, count: int = 1,
             timeout: float = 10.0) -> list[str]:
    """The texts of the next `count` PRIVMSGs from the bot to `target`, as `client` received them."""
    lines = client.collect(bot_line(bot_nick, target), count, timeout, since)
    return [l.body for l in lines]


def bot_line(bot_nick: str, target: str) -> str:
    """A pattern for the bot's PRIVMSGs to `target`, with or without IRCv3 tags in front."""
    return rf"^(@\S+ )?:{re.escape(bot_nick)}!\S+ PRIVMSG {re.escape(target)} :"


def bot_reply(client: IrcClient, bot_nick: str, target: str, since: int = 0, settle: float = 0.3,
              timeout: float = 10.0) -> list[str]:
    """Every PRIVMSG from the bot to `target` after `since`, once at least one came and `settle` s passed quietly."""
    bot_says(client, bot_nick, target, since, 1, timeout)
    seen = -1
    while True:
        lines = client.matching(bot_line(bot_nick, target), since)
        if len(lines) == seen:
            return [l.body for l in lines]
        seen = len(lines)
        time.sleep(settle)
