//! MLproject parsing, validation and substitution: every bad input gives a clear error, and for
//! a table of projects and parameters the command and the logged parameters are exactly what
//! MLflow's own `_project_spec` computes (run through the venv's Python).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use mlflow_core::projects::env::choose_manager;
use mlflow_core::projects::{load_project, params, EnvManager, ProjectEnv};
use mlflow_core::ErrorKind;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The error of loading `mlproject` and computing `entry_point` with `given`.
fn error_of(mlproject: Option<&str>, entry_point: &str, given: &[(&str, &str)]) -> mlflow_core::Error {
    let tmp = tempfile::tempdir().unwrap();
    if let Some(text) = mlproject {
        write(tmp.path(), "MLproject", text);
    }
    let given: Vec<(String, String)> = given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let result = load_project(tmp.path())
        .and_then(|p| p.entry_point(entry_point))
        .and_then(|ep| params::resolve(&ep, &given, tmp.path()).and_then(|r| params::compute_command(&ep, &r)));
    result.expect_err("this input must be refused")
}

#[test]
fn bad_projects_and_parameters_give_clear_errors() {
    let ok_project = "name: p\nentry_points:\n  main:\n    parameters:\n      alpha: float\n      data: path\n      \
                      u: uri\n    command: \"run {alpha} {data} {u}\"\n";
    let cases: Vec<(&str, mlflow_core::Error, &[&str])> = vec![
        ("missing MLproject", error_of(None, "main", &[]), &["Could not find main", "no MLproject file"]),
        (
            "YAML syntax error",
            error_of(Some("name: p\nentry_points:\n  main:\n    command: [unclosed\n  other: 1\n"), "main", &[]),
            &["invalid YAML", "MLproject", "line 5"],
        ),
        (
            "unknown entry point",
            error_of(Some(ok_project), "nope", &[]),
            &["Could not find nope among entry points ['main'] or interpret nope as a runnable script"],
        ),
        (
            "script entry point that does not exist",
            error_of(Some(ok_project), "train.py", &[]),
            &["no script file train.py exists"],
        ),
        (
            "missing required parameters",
            error_of(Some(ok_project), "main", &[]),
            &["No value given for missing parameters: 'alpha', 'data', 'u'"],
        ),
        (
            "path parameter that does not exist",
            error_of(Some(ok_project), "main", &[("alpha", "1"), ("data", "nowhere.csv"), ("u", "s3://b/k")]),
            &["Got value nowhere.csv for parameter data, but no such file or directory was found."],
        ),
        (
            "uri parameter without a scheme",
            error_of(Some(ok_project), "main", &[("alpha", "1"), ("data", "."), ("u", "just/a/path")]),
            &["Expected URI for parameter u but got just/a/path"],
        ),
        (
            "several environments",
            error_of(Some("python_env: a.yaml\nconda_env: b.yaml\nentry_points: {}\n"), "main", &[]),
            &["multiple environment fields: python_env, conda_env"],
        ),
        (
            "docker_env without image",
            error_of(Some("docker_env: {volumes: []}\nentry_points: {}\n"), "main", &[]),
            &["Docker environment specified but no image attribute found."],
        ),
        (
            "python_env file missing",
            error_of(Some("python_env: missing_env.yaml\nentry_points: {}\n"), "main", &[]),
            &["Project specified python_env file", "missing_env.yaml, but no such file was found."],
        ),
        (
            "parameter that is a number",
            error_of(Some("entry_points:\n  main:\n    parameters:\n      alpha: 0.5\n    command: x\n"), "main", &[]),
            &["parameter 'alpha' of entry point 'main' must be a type name", "not a number"],
        ),
        (
            "entry point without command",
            error_of(Some("entry_points:\n  main:\n    parameters: {}\n"), "main", &[]),
            &["entry point 'main' has no command"],
        ),
        (
            "entry_points not a mapping",
            error_of(Some("entry_points: [main]\n"), "main", &[]),
            &["entry_points must be a mapping", "not a list"],
        ),
        (
            "placeholder that is not a parameter",
            error_of(Some("entry_points:\n  main:\n    command: \"echo {nope}\"\n"), "main", &[]),
            &["'{nope}' is not a parameter of the entry point"],
        ),
        (
            "single closing brace",
            error_of(Some("entry_points:\n  main:\n    command: \"echo }\"\n"), "main", &[]),
            &["single '}'"],
        ),
        ("root not a mapping", error_of(Some("- a\n- b\n"), "main", &[]), &["must be a mapping", "not a list"]),
    ];
    for (what, error, expected) in cases {
        let message = error.to_string();
        for part in expected {
            assert!(message.contains(part), "{what}: {message:?} should contain {part:?}");
        }
        assert!(
            matches!(error.kind(), ErrorKind::InvalidArgument | ErrorKind::NotFound),
            "{what}: unexpected kind {:?}",
            error.kind()
        );
    }
}

#[test]
fn environments_follow_mlflow_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "MLproject", "entry_points:\n  main:\n    command: x\n");
    assert_eq!(load_project(dir).unwrap().env, ProjectEnv::Python(None));
    // Implicit conda.yaml, then python_env.yaml taking precedence over it.
    write(dir, "conda.yaml", "name: x\n");
    let conda = load_project(dir).unwrap();
    assert_eq!(conda.env, ProjectEnv::Conda(dir.join("conda.yaml")));
    write(dir, "python_env.yaml", "python: \"3.11\"\n");
    let python = load_project(dir).unwrap();
    assert_eq!(python.env, ProjectEnv::Python(Some(dir.join("python_env.yaml"))));

    // Env managers: MLflow's default is virtualenv for python envs and conda for conda envs.
    assert_eq!(choose_manager(&python, None).unwrap(), EnvManager::Virtualenv);
    assert_eq!(choose_manager(&python, Some(EnvManager::Local)).unwrap(), EnvManager::Local);
    let refused = choose_manager(&python, Some(EnvManager::Conda)).unwrap_err().to_string();
    assert!(refused.contains("python_env project cannot be executed using conda"), "{refused}");
    let unsupported = choose_manager(&conda, None).unwrap_err().to_string();
    assert!(unsupported.contains("conda environment manager is not supported"), "{unsupported}");
    assert_eq!(choose_manager(&conda, Some(EnvManager::Local)).unwrap(), EnvManager::Local);

    let docker_dir = tempfile::tempdir().unwrap();
    write(
        docker_dir.path(),
        "MLproject",
        "docker_env:\n  image: python:3.11\n  environment: [[\"A\", \"1\"], \"HOME\"]\nentry_points:\n  main:\n    command: x\n",
    );
    let docker = load_project(docker_dir.path()).unwrap();
    let ProjectEnv::Docker(env) = &docker.env else { panic!("docker env expected") };
    assert_eq!(env.image, "python:3.11");
    assert_eq!(env.environment.len(), 2);
    for manager in [None, Some(EnvManager::Local), Some(EnvManager::Virtualenv)] {
        let message = choose_manager(&docker, manager).unwrap_err().to_string();
        assert!(message.contains("docker is not supported"), "{message}");
    }
    assert_eq!("uv".parse::<EnvManager>().unwrap(), EnvManager::Uv);
    assert!("pyenv".parse::<EnvManager>().unwrap_err().to_string().contains("Invalid value for `env_manager`"));
}

#[test]
fn shell_quote_matches_python_shlex() {
    for (input, quoted) in [
        ("", "''"),
        ("abc", "abc"),
        ("a b", "'a b'"),
        ("it's", "'it'\"'\"'s'"),
        ("@%+=:,./-_x9", "@%+=:,./-_x9"),
        ("$(rm -rf /)", "'$(rm -rf /)'"),
        ("é", "'é'"),
    ] {
        assert_eq!(params::shell_quote(input), quoted, "{input:?}");
    }
}

const TABLE_PROJECT: &str = r#"name: subst
entry_points:
  main:
    parameters:
      beta: int
      alpha: {type: float, default: 0.1}
      name: {type: string, default: "hello world"}
      quote: {default: "it's"}
      flag: {default: yes}
      small: {type: float, default: 0.00001}
      huge: {default: 1.0e+20}
      sci: {default: 1e-5}
      count: {type: int, default: 010}
      data: {type: path, default: data.txt}
      u: {type: uri, default: "s3://bucket/key"}
      empty: {default: ""}
      listy: {default: [1, "a", 2.5]}
    command: "run.sh {beta} {alpha} {name} {quote} {flag} {small} {huge} {sci} {count} {data} {u} {empty} {listy} {{literal}} }}x{{"
  other:
    parameters:
      x: {type: str}
      need: {type: string, default: null}
    command: python other.py --x {x} --need {need}
"#;

#[test]
fn substitution_matches_mlflow() {
    let Some(python) = common::venv_python("MLflow's own substitution cannot be compared") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    write(&project, "MLproject", TABLE_PROJECT);
    for script in ["train.py", "run.sh", "model.R", "other.py"] {
        write(&project, script, "");
    }
    // `path` values resolve against the caller's directory: data.txt exists there, not in the project.
    let cwd = tmp.path().join("caller");
    write(&cwd, "data.txt", "x");
    write(&cwd, "sub/other.csv", "x");
    let abs_data = cwd.join("data.txt").display().to_string();
    let file_uri = format!("file://{abs_data}");
    let p = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("main", p(&[("beta", "3")])),
        ("main", p(&[("beta", "3"), ("alpha", "abc"), ("extra", "x y"), ("k'ey", "v"), ("z", "")])),
        ("main", p(&[("beta", "$(rm -rf /)"), ("name", "a\"b'c"), ("data", "sub/../sub/other.csv")])),
        ("main", p(&[("beta", "1"), ("data", &file_uri), ("u", "https://x/y?z=1&w")])),
        ("main", p(&[("alpha", "2")])),
        ("main", p(&[("beta", "1"), ("data", "missing.csv")])),
        ("main", p(&[("beta", "1"), ("u", "no-scheme")])),
        ("other", p(&[("x", "a b"), ("y", "1"), ("need", "given")])),
        ("other", p(&[("x", "a b")])),
        ("train.py", p(&[("lr", "0.1")])),
        ("run.sh", p(&[])),
        ("model.R", p(&[("n", "5")])),
        ("nope", p(&[])),
        ("nope.txt", p(&[])),
    ];
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|(ep, params)| serde_json::json!({"dir": project, "entry_point": ep, "params": params}))
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/projects_compute.py");
    let mut command = Command::new(&python);
    command.arg(&script).current_dir(&cwd);
    // The same $SHELL as ours (`.sh` entry points run with it). Where it is unset (CI containers) MLflow falls
    // back to bash as we do; passing it on as "" would make MLflow's command " run.sh".
    match std::env::var("SHELL") {
        Ok(shell) if !shell.is_empty() => command.env("SHELL", shell),
        _ => command.env_remove("SHELL"),
    };
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(serde_json::to_string(&input).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();

    let loaded = load_project(&project).unwrap();
    let mut errors = 0;
    for ((ep, given), mlflow) in cases.iter().zip(&expected) {
        let ours = loaded.entry_point(ep).and_then(|entry| {
            let resolved = params::resolve(&entry, given, &cwd)?;
            Ok((params::compute_command(&entry, &resolved)?, resolved.logged()))
        });
        match (mlflow.get("error"), ours) {
            (None, Ok((command, logged))) => {
                assert_eq!(command, mlflow["command"].as_str().unwrap(), "command of {ep} {given:?}");
                let logged: Vec<serde_json::Value> = logged.iter().map(|(k, v)| serde_json::json!([k, v])).collect();
                assert_eq!(serde_json::Value::from(logged), mlflow["logged"], "logged params of {ep} {given:?}");
            }
            (Some(message), Err(e)) => {
                errors += 1;
                let message = message.as_str().unwrap();
                assert!(
                    e.to_string().contains(message),
                    "{ep} {given:?}: ours {:?}, MLflow's {message:?}",
                    e.to_string()
                );
            }
            (mlflow, ours) => panic!("{ep} {given:?}: MLflow gave {mlflow:?}, we gave {ours:?}"),
        }
    }
    assert_eq!(errors, 6, "the table holds six inputs both refuse");
}

#[test]
fn cli_parameters_parse_as_mlflow_run_parses_them() {
    let pairs = params::parse_cli_params(&["a=1", "b=x=y", "c="]).unwrap();
    let expected: Vec<(String, String)> =
        [("a", "1"), ("b", "x=y"), ("c", "")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(pairs, expected);
    let missing = params::parse_cli_params(&["novalue"]).unwrap_err().to_string();
    assert!(missing.contains("Invalid format for -P parameter: 'novalue'. Use -P name=value."), "{missing}");
    let repeated = params::parse_cli_params(&["a=1", "a=2"]).unwrap_err().to_string();
    assert!(repeated.contains("Repeated parameter: 'a'"), "{repeated}");
}
