"""Nightly runs: the published list and reports, and starting a run (admin).

``POST /runs`` starts ``laolink nightly --inbox <inbox> --db <db>`` as a background process
and returns at once; the run's report appears in ``GET /runs`` once it has published. The
inbox is the settings' ``inbox`` (environment ``LAOLINK_INBOX``). A pid file in the work
folder, checked under a file lock, keeps two runs from being started at once, also across
worker processes: a second request while one runs gets 409.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from pathlib import Path as FsPath

from fastapi import APIRouter, Path, Request

from api.deps import Pagination, PublishedCursor, audit, role_dependency
from api.errors import ApiError
from api.queries.runs import get_run, list_runs
from api.schemas import PageInfo
from api.schemas_data import RunDetail, RunsResponse, RunStarted
from api.settings import Settings

router = APIRouter(prefix="/runs", tags=["runs"])
READERS = ("admin", "steward", "analyst")
Reader = role_dependency(*READERS)
Admin = role_dependency("admin")
PID_FILE = "api-nightly.pid"


def _work_dir(settings: Settings) -> FsPath:
    work = settings.paths.work_dir
    work.mkdir(parents=True, exist_ok=True, mode=0o700)
    return work


def running_pid(settings: Settings) -> int | None:
    """The pid of the nightly run started through the API, if it is still running."""
    try:
        pid = int((_work_dir(settings) / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a finished child of this process stays a zombie until reaped
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return None
    except ChildProcessError:
        pass
    return pid




@router.get("", response_model=RunsResponse)
def read_runs(
    request: Request,
    page: Pagination,
    _principal: Reader,
    con: PublishedCursor,
) -> RunsResponse:
    """Published nightly runs, newest first."""
    runs, total = list_runs(con, limit=page.page_size, offset=page.offset)
    return RunsResponse(
        page=PageInfo(page=page.page, page_size=page.page_size, total=total),
        running=running_pid(request.app.state.settings) is not None,
        items=runs,
    )


@router.get("/{run_id}", response_model=RunDetail, responses={404: {"description": "no such published run"}})
def read_run(
    principal: Reader,
    con: PublishedCursor,
    run_id: int = Path(ge=1, le=2**62),
) -> RunDetail:
    """One run with its report (files, rows, pairs scored, persons created/merged/split, timings).

    Admins see where each file was on the server; other roles see file names only."""
    run = get_run(con, run_id, with_paths=principal.role == "admin")
    if run is None:
        raise ApiError(404, f"no published run {run_id}", field="run_id")
    return RunDetail.model_validate(run)


@router.post("", response_model=RunStarted, status_code=202,
             responses={409: {"description": "a run is already in progress"},
                        503: {"description": "no inbox configured"}})
def start_run(request: Request, _principal: Admin) -> RunStarted:
    """Start a nightly run in the background (ingest the inbox, standardize, link, publish)."""
    import subprocess

    settings: Settings = request.app.state.settings
    inbox = settings.inbox
    if inbox is None or not inbox.is_dir():
        raise ApiError(503, "no inbox folder configured (set LAOLINK_INBOX)", field="inbox")
    work = _work_dir(settings)
    with open(work / (PID_FILE + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pid = running_pid(settings)
        if pid is not None:
            audit(request, "run.start", outcome="denied", status=409, detail={"running_pid": pid})
            raise ApiError(409, f"a nightly run is already in progress (process {pid})")
        log_path = work / "runs" / f"api-run-{time.strftime('%Y%m%dT%H%M%S')}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox), "--db", str(settings.paths.db)]
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        (work / PID_FILE).write_text(str(process.pid))
        # Reap the run when it ends: another server process cannot, and would see the zombie as running.
        threading.Thread(target=process.wait, name="laolink-run-reaper", daemon=True).start()
    audit(request, "run.start", status=202, detail={"pid": process.pid, "log": str(log_path)})
    return RunStarted(pid=process.pid, log=str(log_path), command=command)
