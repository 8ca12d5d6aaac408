//! Terraform in a process group of its own: every command a test runs ([`Workdir::run`], with
//! a hang bound), and the ones a test signals as a terminal or a CI runner signals them:
//! Ctrl-C sends SIGINT to the whole foreground group (Terraform and its provider plugins), a
//! cancelled job SIGTERM, an OOM killer or a runner without a grace period SIGKILL.
//!
//! [`Workdir::spawn_in_group`] starts the command with `process_group(0)` (its own group, whose
//! ID is its PID); [`Group::signal`] signals that group, [`Group::signal_leader`] Terraform's
//! process alone (as `docker stop` and a pod's termination signal PID 1), never a process found
//! by name; and
//! [`Group::wait`] collects the outcome, killing the group if it outlives a generous limit so
//! that a hang fails the test instead of stalling the suite.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::terraform::{Run, Workdir};

/// A signal a test sends to the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Int,
    Term,
    Kill,
}

impl Signal {
    fn number(self) -> libc::c_int {
        match self {
            Signal::Int => libc::SIGINT,
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        }
    }
}

/// A running command, leader of its own process group.
pub struct Group {
    child: Child,
    pgid: libc::pid_t,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    signalled: Option<Instant>,
}

/// How a signalled command ended.
pub struct Ended {
    pub run: Run,
    /// From the first signal to the command's exit.
    pub after_signal: Option<Duration>,
    /// The command outlived the limit and the group was killed.
    pub hung: bool,
    /// Processes of the group (provider plugins) still alive once the command had exited and a
    /// moment passed, killed then.
    pub left_behind: bool,
}

/// The longest any `terraform` command of a test may run before it counts as hung (its group
/// is then killed and the test fails, saying so): far beyond what the slowest command takes
/// (the 200-integration apply), so that a loaded machine never trips it.
pub const RUN_HANG: Duration = Duration::from_secs(900);

impl Workdir {
    /// Run `terraform <args>` in this directory, with this environment only, in a process group
    /// of its own: a command that outlives [`RUN_HANG`] is killed with its plugins, and the test
    /// fails naming it, instead of stalling the suite.
    pub fn run(&self, args: &[&str]) -> Run {
        let ended = self.spawn_in_group(args).wait(RUN_HANG);
        assert!(
            !ended.hung,
            "terraform {} ran longer than {}s and was killed (its process group too):\n{}",
            args.join(" "),
            RUN_HANG.as_secs(),
            ended.run.all()
        );
        ended.run
    }

    /// Start `terraform <args>` in its own process group, output collected as it comes.
    pub fn spawn_in_group(&self, args: &[&str]) -> Group {
        let mut cmd = self.command(args);
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start terraform");
        let pgid = libc::pid_t::try_from(child.id()).expect("a pid");
        let collect = |pipe: Option<Box<dyn Read + Send>>, into: Arc<Mutex<String>>| {
            std::thread::spawn(move || {
                let Some(mut pipe) = pipe else { return };
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    into.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
        };
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(
                child
                    .stdout
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                stdout.clone(),
            ),
            collect(
                child
                    .stderr
                    .take()
                    .map(|p| Box::new(p) as Box<dyn Read + Send>),
                stderr.clone(),
            ),
        ];
        Group {
            child,
            pgid,
            stdout,
            stderr,
            readers,
            signalled: None,
        }
    }
}

impl Group {
    /// The group's ID (the leader's PID).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// What the command printed on stdout so far.
    pub fn stdout_so_far(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// What the command printed on stderr so far (with `TF_LOG_PROVIDER`, the plugins' logs).
    pub fn stderr_so_far(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Send `signal` to every process of the group, as a terminal's Ctrl-C does.
    pub fn signal(&mut self, signal: Signal) {
        // SAFETY: kill(2) with a negative PID signals a process group; no memory is involved.
        let rc = unsafe { libc::kill(-self.pgid, signal.number()) };
        assert_eq!(rc, 0, "kill(-{}, {signal:?}) failed", self.pgid);
        self.signalled.get_or_insert_with(Instant::now);
    }

    /// Send `signal` to the leader alone (Terraform's own process, the one this group started),
    /// not to its plugins: what `docker stop` and a Kubernetes pod's termination do to PID 1.
    pub fn signal_leader(&mut self, signal: Signal) {
        // SAFETY: kill(2) with a positive PID signals that one process; no memory is involved.
        let rc = unsafe { libc::kill(self.pgid, signal.number()) };
        assert_eq!(rc, 0, "kill({}, {signal:?}) failed", self.pgid);
        self.signalled.get_or_insert_with(Instant::now);
    }

    /// Whether any process of the group is alive.
    pub fn group_alive(&self) -> bool {
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-self.pgid, 0) == 0 }
    }

    /// Wait for the command to exit, at most `limit`; past it the whole group is killed and the
    /// outcome says `hung`. Once the leader has exited, its plugins get up to 10 s to end too.
    pub fn wait(mut self, limit: Duration) -> Ended {
        let started = Instant::now();
        let mut hung = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for terraform") {
                break Some(status);
            }
            if started.elapsed() > limit {
                hung = true;
                self.kill_group();
                break self.child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let exited = Instant::now();
        let after_signal = self.signalled.map(|s| exited.duration_since(s));
        let mut left_behind = false;
        while self.group_alive() {
            if exited.elapsed() > Duration::from_secs(10) {
                left_behind = true;
                self.kill_group();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let code = status.and_then(|s| s.code()).unwrap_or(-1);
        Ended {
            run: Run {
                code,
                stdout: self.stdout.lock().unwrap().clone(),
                stderr: self.stderr.lock().unwrap().clone(),
            },
            after_signal,
            hung,
            left_behind,
        }
    }

    fn kill_group(&self) {
        // SAFETY: as in `signal`.
        unsafe {
            libc::kill(-self.pgid, libc::SIGKILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.group_alive() {
            self.kill_group();
            let _ = self.child.wait();
        }
    }
}
