"""Opening a database brings it to the latest revision, and one that is there already is not
handed to Alembic at all (a query of `alembic_version` against the revisions on disk): the
latest revision as read from the revision files is the one Alembic finds, and a database
behind it is still upgraded when it is opened, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from core.platform import db as platform_db
from core.platform.db import (
    MIGRATIONS,
    Database,
    _alembic_config,
    current_revision,
    head_revisions,
    is_at_head,
    open_database,
)
from tests.support.env import head


def test_the_latest_revision_read_from_the_files_is_the_one_alembic_finds():
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == set(ScriptDirectory.from_config(cfg).get_heads())
    assert head_revisions() == {head()}


def test_a_branch_has_two_heads_and_a_merge_one(tmp_path: Path, monkeypatch):
    versions = tmp_path / "versions"
    versions.mkdir()
    files = {
        "a.py": 'revision = "a"\ndown_revision = None\n',
        "b.py": 'revision: str = "b"\ndown_revision: str | None = "a"\n',
        "c.py": "revision: str = 'c'\ndown_revision: Union[str, None] = 'a'\n",
    }
    for name, text in files.items():
        (versions / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(platform_db, "MIGRATIONS", tmp_path)
    assert head_revisions() == {"b", "c"}
    (versions / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert head_revisions() == {"d"}


def test_a_database_behind_the_latest_revision_is_upgraded_when_opened(db: Database):
    from alembic import command

    assert is_at_head(db)
    command.downgrade(_alembic_config(db), "0008")
    assert current_revision(db) == "0008"
    assert not is_at_head(db)
    url = db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    again = open_database(url)
    try:
        assert current_revision(again) == head()
        assert is_at_head(again)
    finally:
        again.engine.dispose()


def test_a_new_database_is_not_at_the_latest_revision_until_opened(tmp_path: Path):
    from core.platform.db import connect

    fresh = connect(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert not is_at_head(fresh)  # no alembic_version table yet
    finally:
        fresh.engine.dispose()
    opened = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(opened) == head() and is_at_head(opened)
    finally:
        opened.engine.dispose()
