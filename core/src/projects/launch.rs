//! Starting the entry point: `bash -c "<activate> && <command>"` in the project directory, in a
//! process group of its own (so cancelling stops everything it started), with the run's
//! `MLFLOW_RUN_ID`, `MLFLOW_TRACKING_URI` and `MLFLOW_EXPERIMENT_ID` in its environment.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};

use super::env::{find_on_path, is_executable};
use crate::error::{Error, Result};

/// What the child process needs to log into the run.
#[derive(Debug, Clone)]
pub struct RunEnv {
    pub run_id: String,
    pub tracking_uri: String,
    pub experiment_id: String,
}

/// The full shell line: the activation (if any) and the entry point command, joined as MLflow does.
pub fn shell_line(activate: Option<&str>, command: &str) -> String {
    match activate {
        Some(a) => format!("{a} && {command}"),
        None => command.to_string(),
    }
}

pub fn spawn(line: &str, work_dir: &Path, run: &RunEnv) -> Result<Child> {
    Command::new("bash")
        .arg("-c")
        .arg(line)
        .current_dir(work_dir)
        .env("MLFLOW_RUN_ID", &run.run_id)
        .env("MLFLOW_TRACKING_URI", &run.tracking_uri)
        .env("MLFLOW_EXPERIMENT_ID", &run.experiment_id)
        .process_group(0)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::not_found("bash was not found on PATH; projects run their commands with bash")
            }
            _ => Error::internal(format!("cannot start the entry point in {}: {e}", work_dir.display())),
        })
}

/// Words bash runs itself: the first word of a command may be one of these rather than a program.
const SHELL_WORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in",
    "function", "time", "{", "}", "!", "[[", "]]", "source", ".", "cd", "echo", "exec", "export", "eval", "exit",
    "set", "unset", "test", "[", "true", "false", "printf", "read", "return", "shift", "trap", "type", "ulimit",
    "umask", "wait", "alias", "command", "builtin", "declare", "local", "let", "pushd", "popd", "pwd", "env",
];

/// The program the command starts with, when it can be told without running a shell: a plain
/// first word that is neither an assignment, an expansion nor a shell keyword or builtin.
pub fn leading_program(command: &str) -> Option<String> {
    let trimmed = command.trim_start();
    let end = trimmed.find(|c: char| c.is_whitespace() || ";&|<>()".contains(c)).unwrap_or(trimmed.len());
    let word = &trimmed[..end];
    let plain = !word.is_empty() && !word.contains(['$', '`', '\'', '"', '\\', '=', '*', '?', '~', '{', '}']);
    (plain && !SHELL_WORDS.contains(&word)).then(|| word.to_string())
}

/// Fails, before any run exists, when the command's program cannot be found: a path relative to
/// the project directory, or a name on PATH (the environment's `bin` first).
pub fn check_program(command: &str, work_dir: &Path, bin_dir: Option<&Path>, entry_point: &str) -> Result<()> {
    let Some(program) = leading_program(command) else { return Ok(()) };
    let found = if program.contains('/') {
        is_executable(&super::params::absolute_against(work_dir, Path::new(&program)))
    } else {
        find_on_path(&program, bin_dir).is_some()
    };
    if found {
        return Ok(());
    }
    let place = if program.contains('/') {
        format!("is not an executable file in {}", work_dir.display())
    } else {
        "is not found on PATH".to_string()
    };
    Err(Error::not_found(format!(
        "command not found: the command of entry point '{entry_point}' starts with '{program}', which {place}; \
         nothing was run and no run was created"
    )))
}

/// The tracking URI the entry point gets. The entry point runs in the project directory, so a
/// relative sqlite path (`sqlite:///mlflow.db`, the default) would name another database there;
/// it is made absolute against this process's directory first. (`mlflow run` passes it as is, and
/// the code inside then logs into a new database in the project directory.)
pub(crate) fn child_tracking_uri(uri: &str) -> String {
    match uri.strip_prefix("sqlite:///") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !rest.starts_with(":memory:") => {
            let (path, query) = match rest.find('?') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            format!("sqlite:///{}{query}", crate::util::absolute(std::path::Path::new(path)).display())
        }
        _ => uri.to_string(),
    }
}

#[cfg(test)]
mod child_uri_tests {
    use super::child_tracking_uri;

    #[test]
    fn relative_sqlite_paths_become_absolute_others_stay() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(child_tracking_uri("sqlite:///mlflow.db"), format!("sqlite:///{}/mlflow.db", cwd.display()));
        assert_eq!(
            child_tracking_uri("sqlite:///d/m.db?mode=ro"),
            format!("sqlite:///{}/d/m.db?mode=ro", cwd.display())
        );
        for kept in ["sqlite:////abs/m.db", "sqlite://", "sqlite:///:memory:", "http://127.0.0.1:5000"] {
            assert_eq!(child_tracking_uri(kept), kept);
        }
    }
}
