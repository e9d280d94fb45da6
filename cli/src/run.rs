//! `libmlflow run`: `mlflow run URI -e ENTRY -P k=v --env-manager local` for the local backend.
//! It waits for the entry point (whose output goes straight to this program's stdout and stderr),
//! and exits 0 when the run FINISHED, 1 when it FAILED or the project could not be started (as
//! `mlflow run`), 2 on bad usage, 128 + the signal (130 for Ctrl-C) when interrupted: the run is
//! then cancelled and ended KILLED.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mlflow_core::projects::{self, EnvManager, ProjectRun};
use mlflow_core::{Client, ClientOptions, RunStatus};

use crate::interrupt;

/// Polling period of the wait, so a signal is acted on promptly.
const POLL: Duration = Duration::from_millis(100);

struct RunArgs {
    request: ProjectRun,
    tracking_uri: Option<String>,
}

fn parse(args: &[String]) -> Result<RunArgs, String> {
    let mut request = ProjectRun::default();
    let mut uri = None;
    let mut params = Vec::new();
    let (mut experiment_name, mut experiment_id, mut storage_dir) = (None, None, None);
    let mut tracking_uri = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        // `--name=value` as well as `--name value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| format!("{name} needs a value"));
        match name {
            "-e" | "--entry-point" => request.entry_point = value()?,
            "-v" | "--version" => request.version = Some(value()?),
            "-P" | "--param-list" => params.push(value()?),
            "--experiment-name" => experiment_name = Some(value()?),
            "--experiment-id" => experiment_id = Some(value()?),
            "--env-manager" => {
                request.env_manager = Some(value()?.parse::<EnvManager>().map_err(|e| e.message().to_string())?)
            }
            "--storage-dir" => storage_dir = Some(value()?),
            "--run-id" => request.run_id = Some(value()?),
            "--run-name" => request.run_name = Some(value()?),
            "--tracking-uri" => tracking_uri = Some(value()?),
            "-b" | "--backend" => match value()?.as_str() {
                "local" => {}
                other => {
                    return Err(format!(
                        "backend '{other}' is not supported; libmlflow runs projects locally (-b local)"
                    ))
                }
            },
            flag if flag.starts_with('-') && flag.len() > 1 => return Err(format!("unknown option '{flag}'")),
            positional if uri.is_none() => uri = Some(positional.to_string()),
            extra => return Err(format!("unexpected argument '{extra}' (the project URI is already given)")),
        }
    }
    request.uri = uri.ok_or("missing the project URI")?;
    request.parameters = projects::params::parse_cli_params(&params).map_err(|e| e.message().to_string())?;
    // As `mlflow run`'s options, these fall back to the same environment variables.
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    request.experiment_name = experiment_name.or_else(|| env("MLFLOW_EXPERIMENT_NAME"));
    request.experiment_id = experiment_id.or_else(|| env("MLFLOW_EXPERIMENT_ID"));
    if request.experiment_name.is_some() && request.experiment_id.is_some() {
        return Err("Specify only one of 'experiment-name' or 'experiment-id' options.".into());
    }
    request.storage_dir = storage_dir.or_else(|| env("MLFLOW_TMP_DIR")).map(PathBuf::from);
    request.synchronous = true;
    Ok(RunArgs { request, tracking_uri })
}

pub fn main(args: &[String], usage: &str) -> ExitCode {
    let parsed = match parse(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("libmlflow run: {e}\n\n{usage}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = interrupt::install() {
        eprintln!("libmlflow run: {e}");
        return ExitCode::from(1);
    }
    let client =
        match Client::open(ClientOptions { tracking_uri: parsed.tracking_uri.clone(), ..ClientOptions::default() }) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("libmlflow run: {}", e.message());
                return ExitCode::from(2);
            }
        };
    let code = run(&client, &parsed.request);
    // Writes what this program queued (nothing after the run's end) before exiting.
    let _ = client.close(Duration::from_secs(30));
    code
}

fn run(client: &Client, request: &ProjectRun) -> ExitCode {
    let submitted = match projects::submit(client, request) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("libmlflow run: {}", e.message());
            return ExitCode::from(1);
        }
    };
    let run_id = submitted.run_id().to_string();
    eprintln!("=== Running command '{}' in run with ID '{run_id}' ===", submitted.command());
    let ended = loop {
        if let Some(signal) = interrupt::received() {
            eprintln!("libmlflow run: interrupted, cancelling run {run_id}");
            return match submitted.cancel() {
                Ok(status) => {
                    eprintln!("=== Run (ID '{run_id}') ended {} ===", status.as_str());
                    ExitCode::from(128 + signal as u8)
                }
                Err(e) => {
                    eprintln!("libmlflow run: {}", e.message());
                    ExitCode::from(1)
                }
            };
        }
        match submitted.wait_timeout(POLL) {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => continue,
            Err(e) => break Err(e),
        }
    };
    match ended {
        Ok(RunStatus::Finished) => {
            eprintln!("=== Run (ID '{run_id}') succeeded ===");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            let code = submitted.exit_code().map(|c| format!(" with exit code {c}")).unwrap_or_default();
            eprintln!("libmlflow run: Run (ID '{run_id}') failed{code}: status {}", status.as_str());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("libmlflow run: {}", e.message());
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_mlflow_run_arguments_in_both_option_forms() {
        let parsed = parse(&args(&[
            "proj",
            "-e",
            "train",
            "--version=v1",
            "-P",
            "a=1",
            "--param-list",
            "b=x=y",
            "--env-manager=local",
            "--run-name",
            "n",
            "--run-id",
            "r",
            "-b",
            "local",
            "--tracking-uri",
            "sqlite:///t.db",
        ]))
        .unwrap();
        let r = parsed.request;
        assert_eq!((r.uri.as_str(), r.entry_point.as_str(), r.version.as_deref()), ("proj", "train", Some("v1")));
        assert_eq!(r.parameters, vec![("a".into(), "1".into()), ("b".into(), "x=y".into())]);
        assert_eq!(r.env_manager, Some(EnvManager::Local));
        assert_eq!((r.run_name.as_deref(), r.run_id.as_deref()), (Some("n"), Some("r")));
        assert!(r.synchronous);
        assert_eq!(parsed.tracking_uri.as_deref(), Some("sqlite:///t.db"));
    }

    #[test]
    fn refuses_bad_usage_with_mlflows_messages() {
        let error = |list: &[&str]| parse(&args(list)).err().unwrap();
        assert_eq!(error(&[]), "missing the project URI");
        assert_eq!(error(&["p", "-P", "x"]), "Invalid format for -P parameter: 'x'. Use -P name=value.");
        assert_eq!(error(&["p", "-P", "x=1", "-P", "x=2"]), "Repeated parameter: 'x'");
        assert_eq!(
            error(&["p", "--experiment-name", "a", "--experiment-id", "1"]),
            "Specify only one of 'experiment-name' or 'experiment-id' options."
        );
        assert!(error(&["p", "--env-manager", "pip"]).contains("Invalid value for `env_manager`: pip"));
        assert!(error(&["p", "-b", "kubernetes"]).contains("backend 'kubernetes' is not supported"));
        assert_eq!(error(&["p", "--storage-dir"]), "--storage-dir needs a value");
        assert_eq!(error(&["p", "q"]), "unexpected argument 'q' (the project URI is already given)");
        assert_eq!(error(&["p", "--nope=1"]), "unknown option '--nope'");
    }
}
