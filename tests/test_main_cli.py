"""The command line under bad input: every argv and every configuration value ends in exit 0 or
2, a one-line message naming what was wrong, never a traceback; a command never creates a
database it was only asked to read, and the database is resolved as the window resolves it.

Most cases run in-process (``main.main(argv)``, fast); a few run ``python main.py`` as a real
subprocess to see exactly what a user sees.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import keyring
import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import main
from storage.config import DEMO_DB_FILE
from storage.engine import password_key, resolve_url
from storage.secrets import SERVICE
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_PG = "postgresql://madoguchi@127.0.0.1:1/madoguchi"
FUZZ_ADMIN = ("fuzz-admin", "管理者")
FUZZ_PASSWORD = "fuzz-pass-1"
#: How a fuzzed command that needs a login is run: none, the right one, no or a wrong password.
LOGINS = [
    ([], ""),
    (["--user", FUZZ_ADMIN[0]], FUZZ_PASSWORD + "\n"),
    (["--user", FUZZ_ADMIN[0]], ""),
    (["--user", FUZZ_ADMIN[0]], "wrong-pass-2\n"),
]


@dataclass(frozen=True)
class Sandbox:
    """A folder with one real database, a text file, a folder and a config naming the database."""

    root: Path
    db: Path
    text: Path
    folder: Path
    config: Path

    def files(self) -> set[Path]:
        return {p for p in self.root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("cli-fuzz")
    db = root / "clinic.sqlite3"
    with Store.open(str(db), terminal_id="fuzz-pc", backup_dir=root / "backups") as store:
        store.create_first_admin(*FUZZ_ADMIN, FUZZ_PASSWORD)
    text = root / "notes.txt"
    text.write_text("not a database\n", "utf-8")
    folder = root / "folder"
    folder.mkdir()
    config = root / "madoguchi.toml"
    config.write_text(f"[database]\npath = {str(db)!r}\n", "utf-8")
    keyring.set_password(SERVICE, password_key(resolve_url(UNREACHABLE_PG)), "pw")
    env = {
        "MADOGUCHI_DATA_DIR": str(root / "data"),
        "MADOGUCHI_CONFIG": str(root / "no-config.toml"),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield Sandbox(root, db, text, folder, config)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run_in_process(argv: list[str], stdin: str = "") -> Ran:
    """``main.main(argv)`` with ``stdin`` piped: empty, a command that asks for a login fails."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main.main(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code if isinstance(exc.code, int) else 2
    return Ran(code, out.getvalue(), err.getvalue())


def assert_clear(ran: Ran, argv: list[str], *names: str) -> None:
    """Exit 0 or 2 (``audit`` also 1: broken chain or no event that day, said on stdout); on 2
    stderr is exactly one line, 'error: …', naming one of ``names`` or an argv value (argparse's
    usage errors too); never a traceback."""
    assert "Traceback" not in ran.err + ran.out
    assert ran.code in ((0, 1, 2) if argv[0] == "audit" else (0, 2)), (argv, ran)
    assert ran.code != 1 or (ran.out.strip() and not ran.err), ran
    if ran.code == 2:
        lines = ran.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, ran.err)
        assert any(n in lines[0] for n in (*names, *argv) if n), (argv, lines[0])


# -- argv -------------------------------------------------------------------------------------

EDGE_DAYS = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "2026-02-29", "2024-02-29"]
EDGE_MONTHS = ["0001-01", "9999-12", "1899-12", "2026-00", "2026-13", "2026-1", "202601"]

days = st.one_of(
    st.sampled_from(EDGE_DAYS),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.text(max_size=12),
)
months = st.one_of(
    st.sampled_from(EDGE_MONTHS),
    st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}"),
    st.text(max_size=8),
)


def databases(box: Sandbox) -> st.SearchStrategy[list[str]]:
    return st.sampled_from(
        [
            [],
            ["--db", str(box.db)],
            ["--db", str(box.text)],
            ["--db", str(box.folder)],
            ["--db", str(box.root / "missing" / "x.sqlite3")],
            ["--db", UNREACHABLE_PG],
            ["--db", "mysql://u@h/db"],
            ["--db", "postgresql://u:pw@h/db"],
            ["--db", "sqlite://"],
            ["--config", str(box.config)],
            ["--config", str(box.root / "missing.toml")],
            ["--config", str(box.text)],
            ["--demo"],
            ["--demo", "--db", str(box.db)],
        ]
    )


def commands(box: Sandbox) -> st.SearchStrategy[tuple[list[str], set[Path]]]:
    """(argv, files the command may create)."""
    out = box.root / "out" / "x.pdf"
    return st.one_of(
        st.tuples(st.just(["audit", "verify"]), st.just(set())),
        days.map(lambda d: (["audit", "head", "--date", d], set())),
        days.map(lambda d: (["rules", "--on", d], set())),
        days.map(lambda d: (["report", "daily", "--date", d, "--out", str(out)], {out})),
        months.map(lambda m: (["report", "monthly", "--month", m, "--out", str(out)], {out})),
        st.tuples(days, days).map(
            lambda dd: (
                ["report", "monthly", "--month", "2026-01", "--as-of", dd[0], "--out", str(out)],
                {out},
            )
        ),
        days.map(
            lambda d: (["report", "declaration", "--date", d, "--out", str(box.folder)], set())
        ),
        st.sampled_from(
            [box.root / "missing.key", box.text, box.folder, box.db, Path(sys.executable)]
        ).map(lambda f: (["audit", "key-import", "--from", str(f)], set())),
        st.sampled_from(["0", "-1", "nan", "inf", "1e999", "x"]).map(
            lambda t: (["demo-check", "--timeout", t], set())
        ),
    )


def test_argv_fuzz_exit_0_or_2_one_line_no_traceback_nothing_created(sandbox: Sandbox) -> None:
    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(command=commands(sandbox), database=databases(sandbox), login=st.sampled_from(LOGINS))
    def check(
        command: tuple[list[str], set[Path]], database: list[str], login: tuple[list[str], str]
    ) -> None:
        argv, may_create = command
        user, stdin = login if argv[0] == "report" or "key-import" in argv else ([], "")
        argv = argv + database + user
        before = sandbox.files()
        ran = run_in_process(argv, stdin)
        assert_clear(ran, argv, str(sandbox.root))
        created = sandbox.files() - before
        assert created <= may_create, (argv, created)
        for path in created:
            path.unlink()

    check()


# -- configuration values ---------------------------------------------------------------------

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["1312345678", "１３１２３４５６７８", "131234567８", "shift_jis", "latin-1"]),
    st.lists(st.integers(), max_size=2),
)
SECTION_KEYS = {
    "terminal": ["root", "medical_institution_code", "request_encoding", "answer_timeout_s"],
    "database": ["url", "path"],
    "station": ["terminal_id"],
    "reader": ["preferred"],
    "queries": ["limit_consent"],
}


@st.composite
def config_docs(draw: st.DrawFn) -> dict[str, object]:
    doc: dict[str, object] = {}
    if draw(st.booleans()):
        doc["mode"] = draw(st.one_of(st.sampled_from(["production", "demo"]), values))
    for section, keys in SECTION_KEYS.items():
        if draw(st.booleans()):
            table = {k: draw(values) for k in keys if draw(st.booleans())}
            doc[section] = {k: v for k, v in table.items() if v is not None}
    if "terminal" in doc and draw(st.booleans()):  # often a valid base, one value fuzzed
        base = {"root": "OQS", "medical_institution_code": "1312345678"}
        doc["terminal"] = {**base, **draw(st.sampled_from([{}, doc["terminal"]]))}  # type: ignore[dict-item]
    return {k: v for k, v in doc.items() if v is not None}


def test_config_fuzz_loads_valid_values_and_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "madoguchi.toml"

    @settings(max_examples=300, deadline=None)
    @given(doc=config_docs())
    def check(doc: dict[str, object]) -> None:
        path.write_text(tomlkit.dumps(doc), "utf-8")
        try:
            config = main.load_config(path)
        except main.ConfigError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            return
        if config.terminal is not None:
            t = config.terminal
            assert t.medical_institution_code.isascii() and t.medical_institution_code.isdigit()
            assert len(t.medical_institution_code) == 10
            assert math.isfinite(t.answer_timeout_s) and t.answer_timeout_s > 0
        assert config.mode in ("production", "demo")
        assert config.database is None or isinstance(config.database, str)

    check()


def test_config_fuzz_through_the_command_line(sandbox: Sandbox) -> None:
    path, out = sandbox.root / "fuzzed.toml", sandbox.root / "out" / "fuzzed.pdf"
    reads = [["audit", "verify"], ["audit", "head", "--date", "2026-04-01"]]
    report = ["report", "daily", "--date", "2026-04-01", "--out", str(out)]

    @settings(max_examples=60, deadline=None)
    @given(doc=config_docs(), command=st.sampled_from([*reads, report]))
    def check(doc: dict[str, object], command: list[str]) -> None:
        path.write_text(tomlkit.dumps(doc), "utf-8")
        before = sandbox.files()
        argv = [*command, "--config", str(path)]
        ran = run_in_process(argv)
        assert_clear(ran, argv, str(path), str(sandbox.root))
        created = sandbox.files() - before
        assert created <= {out}, (doc, created)
        for made in created:
            made.unlink()

    check()


@pytest.mark.parametrize(
    ("terminal", "key"),
    [
        ("answer_timeout_s = nan", "answer_timeout_s"),
        ("answer_timeout_s = inf", "answer_timeout_s"),
        ("answer_timeout_s = -inf", "answer_timeout_s"),
        ('medical_institution_code = "１３１２３４５６７８"', "medical_institution_code"),
    ],
)
def test_config_values_the_review_found_are_refused(
    tmp_path: Path, terminal: str, key: str
) -> None:
    path = tmp_path / "madoguchi.toml"
    code = "" if "medical" in terminal else 'medical_institution_code = "1312345678"\n'
    path.write_text(f'[terminal]\nroot = "OQS"\n{code}{terminal}\n', "utf-8")
    with pytest.raises(main.ConfigError, match=key) as err:
        main.load_config(path)
    assert str(path) in str(err.value)


# -- database resolution: the same as the window's --------------------------------------------


def test_commands_use_the_configured_database_and_never_create_one(sandbox: Sandbox) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MADOGUCHI_CONFIG", str(sandbox.config))
        ran = run_in_process(["audit", "verify"])
    assert ran.code == 0 and ran.out.startswith("OK: ") and "events verified" in ran.out, ran
    data = sandbox.root / "data"
    for argv in (["audit", "verify"], ["--demo", "audit", "verify"], ["audit", "verify", "--demo"]):
        ran = run_in_process(argv)
        demo_db = data / "demo" / DEMO_DB_FILE
        assert (
            ran.code == 2
            and ran.err == f"error: no database at {demo_db} (this command never creates one)\n"
        )
    assert not data.exists()


def test_demo_commands_read_the_demo_database(sandbox: Sandbox, tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    with Store.open(str(demo_dir / DEMO_DB_FILE), terminal_id="demo-pc") as store:
        store.create_first_admin("demo", "デモ", "demo-pass-1")
    for argv in (
        ["--demo", "--demo-dir", str(demo_dir), "audit", "verify"],
        ["audit", "verify", "--demo", "--demo-dir", str(demo_dir)],
    ):
        ran = run_in_process(argv)
        assert ran.code == 0 and "OK: 2 events verified" in ran.out, ran
    pdf = tmp_path / "daily.pdf"  # the case: `main.py --demo report daily`
    argv = ["--demo", "--demo-dir", str(demo_dir), "report", "daily", "--date", "2026-04-01"]
    ran = run_in_process([*argv, "--out", str(pdf), "--user", "demo"], stdin="demo-pass-1\n")
    assert ran.code == 0 and "printed an empty log" in ran.out and pdf.exists(), ran


def test_db_overrides_the_configuration(sandbox: Sandbox, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    ran = run_in_process(["audit", "verify", "--config", str(sandbox.config), "--db", str(other)])
    assert ran.code == 2 and str(other) in ran.err and not other.exists()
    target = main.resolve_target(
        main.build_parser().parse_args(["audit", "verify", "--config", str(sandbox.config)])
    )
    assert target.database.url == str(sandbox.db) and target.demo_dir is None


def run_main(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "daily", "--date", "9999-12-31", "--out", "x.pdf"],
        ["report", "monthly", "--month", "0001-01", "--out", "x.pdf"],
        ["audit", "verify", "--db", "{folder}"],
        ["audit", "verify", "--db", UNREACHABLE_PG],
        ["audit", "key-import", "--from", sys.executable],
        ["run", "--config", "{bad_config}"],
        ["report", "daily", "--date", "2026-13-01", "--out", "x.pdf"],
        ["bogus"],
    ],
)
def test_as_a_user_sees_it(tmp_path: Path, argv: list[str]) -> None:
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text('[terminal]\nroot = "x"\nmedical_institution_code = "12"\n', "utf-8")
    argv = [a.format(folder=tmp_path, bad_config=bad_config) for a in argv]
    secrets = tmp_path / "keyring.json"  # the unreachable server's password is stored
    secrets.write_text(
        json.dumps({f"{SERVICE}\x00{password_key(resolve_url(UNREACHABLE_PG))}": "pw"})
    )
    proc = run_main(
        *argv,
        env={
            "MADOGUCHI_DATA_DIR": str(tmp_path / "data"),
            "MADOGUCHI_CONFIG": str(tmp_path / "none.toml"),
            "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
            "MADOGUCHI_TEST_KEYRING_FILE": str(secrets),
        },
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "data").exists(), proc.stderr


@pytest.mark.parametrize(
    ("argv", "command", "extra"),
    [
        (["audit", "verify", "--bogus"], "main.py audit verify", "--bogus"),
        (
            ["report", "daily", "--date", "2026-04-01", "--out", "{tmp}/x.pdf", "-z"],
            "main.py report daily",
            "-z",
        ),
        (["db", "migrate", "stray"], "main.py db migrate", "stray"),
        (["audit", "--bogus", "verify"], "main.py audit", "--bogus"),
        (["rules", "--index", "--bogus"], "main.py rules", "--bogus"),
        (["--bogus"], "main.py", "--bogus"),
    ],
)
def test_an_unknown_argument_is_refused_by_the_command_that_got_it(
    tmp_path: Path, argv: list[str], command: str, extra: str
) -> None:
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = run_main(*argv, env={"MADOGUCHI_DATA_DIR": str(tmp_path / "data")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr == (
        f"error: {command}: unrecognized arguments: {extra} (see {command} --help)\n"
    )
    assert not (tmp_path / "data").exists() and not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Windows and macOS have a display")
@pytest.mark.parametrize("argv", [["--demo"], ["run", "--demo"]])
def test_no_display_is_one_line_before_anything_starts(tmp_path: Path, argv: list[str]) -> None:
    demo_dir = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *argv, "--demo-dir", str(demo_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, "PYTHONPATH": str(ROOT), "MADOGUCHI_CONFIG": str(tmp_path / "none.toml")},
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: no display: ") and proc.stderr.count("\n") == 1
    assert not demo_dir.exists(), "the demo was set up before the display was checked"


def test_an_error_never_repeats_a_twelve_digit_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = tmp_path / "123456789012.csv"  # a number typed where a file name belongs
    argv = ["bookings", "check", "--csv", str(typed), "--date", "2026-12-02"]
    assert main.main([*argv, "--out", str(tmp_path / "x.pdf")]) == 2
    err = capsys.readouterr().err
    assert "no such bookings list" in err and "123456789012" not in err
