# Artifacts: files, directory trees and texts logged, listed and downloaded against the sqlite
# store and through a real `mlflow server`'s artifact proxy; byte-identical interop both ways
# with MLflow 3.17.2 (Python); progress callbacks, including ones that fail; bad input.

# Random bytes (NULs and invalid UTF-8 included) in a file.
write_random <- function(path, n) {
  dir.create(dirname(path), recursive = TRUE, showWarnings = FALSE)
  writeBin(as.raw(sample.int(256, n, replace = TRUE) - 1L), path)
  path
}

same_bytes <- function(a, b) {
  identical(readBin(a, "raw", file.size(a)), readBin(b, "raw", file.size(b)))
}

# A small tree with a nested directory: tree/a.bin, tree/empty.txt, tree/sub/deeper/c.bin.
make_tree <- function(root) {
  write_random(file.path(root, "a.bin"), 1500)
  file.create(file.path(root, "empty.txt"))
  write_random(file.path(root, "sub", "deeper", "c.bin"), 70000)
  root
}

expect_same_tree <- function(got, want) {
  files <- sort(list.files(want, recursive = TRUE, all.files = TRUE))
  expect_equal(sort(list.files(got, recursive = TRUE, all.files = TRUE)), files)
  for (f in files) expect_true(same_bytes(file.path(got, f), file.path(want, f)), info = f)
}

# Records every progress report.
progress_recorder <- function() {
  env <- new.env()
  env$done <- numeric()
  env$total <- numeric()
  env$fn <- function(done, total) {
    env$done <- c(env$done, done)
    env$total <- c(env$total, total)
  }
  env
}

expect_complete_progress <- function(rec, size) {
  expect_gte(length(rec$done), 2)
  expect_equal(rec$done[[1]], 0)
  expect_equal(rec$done[[length(rec$done)]], size)
  expect_true(all(rec$total == size))
  expect_false(is.unsorted(rec$done))
}

test_that("files, trees and texts round-trip through the sqlite store, where MLflow puts them", {
  local_store()
  src <- tempfile("src-")
  tree <- make_tree(file.path(src, "tree"))
  model <- write_random(file.path(src, "model.bin"), 4096)
  run <- mlflow_start_run()

  mlflow_log_artifact(model)
  mlflow_log_artifact(model, artifact_path = "nested/dir")
  mlflow_log_artifact(tree, artifact_path = "tree")
  text <- "caf\u00e9 \u2713\nsecond line"
  mlflow_log_text(text, "notes/summary.txt")
  mlflow_end_run()

  # <experiment artifact location>/<run id>/artifacts/<path>, as the run's artifact_uri says.
  root <- mlflow_get_run(run$run_id)$artifact_uri
  expect_equal(root, file.path(getwd(), "mlruns", "0", run$run_id, "artifacts"))
  expect_true(same_bytes(file.path(root, "nested", "dir", "model.bin"), model))
  expect_true(same_bytes(file.path(root, "tree", "sub", "deeper", "c.bin"), file.path(tree, "sub", "deeper", "c.bin")))
  expect_equal(readBin(file.path(root, "notes", "summary.txt"), "raw", 100), charToRaw(enc2utf8(text)))

  top <- mlflow_list_artifacts(run_id = run$run_id)
  expect_s3_class(top, "data.frame")
  expect_named(top, c("path", "is_dir", "file_size"))
  top <- top[order(top$path), ]
  expect_equal(top$path, c("model.bin", "nested", "notes", "tree"))
  expect_equal(top$is_dir, c(FALSE, TRUE, TRUE, TRUE))
  expect_equal(top$file_size, c(4096, NA, NA, NA))
  inner <- mlflow_list_artifacts("tree", run_id = run$run_id)
  inner <- inner[order(inner$path), ]
  expect_equal(inner$path, c("tree/a.bin", "tree/empty.txt", "tree/sub"))
  expect_equal(inner$file_size, c(1500, 0, NA))
  deeper <- mlflow_list_artifacts("tree/sub/deeper", run_id = run$run_id)
  expect_equal(deeper$path, "tree/sub/deeper/c.bin")
  expect_identical(deeper$file_size, 70000)
  none <- mlflow_list_artifacts("no/such/dir", run_id = run$run_id)
  expect_equal(nrow(none), 0)
  expect_named(none, c("path", "is_dir", "file_size"))

  # By run id and path: a local store's files are returned where they are.
  got <- mlflow_download_artifacts("nested/dir/model.bin", run_id = run$run_id)
  expect_true(same_bytes(got, model))
  expect_same_tree(mlflow_download_artifacts("tree", run_id = run$run_id), tree)
  expect_equal(readLines(mlflow_download_artifacts("notes/summary.txt", run_id = run$run_id), encoding = "UTF-8",
                         warn = FALSE), c("caf\u00e9 \u2713", "second line"))

  # By URI, into a destination: runs:/, a plain path, file:.
  dst <- tempfile("dst-")
  got <- mlflow_download_artifacts_from_uri(paste0("runs:/", run$run_id, "/tree"), dst_path = dst)
  expect_equal(normalizePath(got), normalizePath(file.path(dst, "tree")))
  expect_same_tree(got, tree)
  got <- mlflow_download_artifacts_from_uri(file.path(root, "model.bin"), dst_path = file.path(dst, "plain"))
  expect_true(same_bytes(got, model))
  got <- mlflow_download_artifacts_from_uri(paste0("file://", root, "/tree/sub"), dst_path = file.path(dst, "f"))
  expect_true(same_bytes(file.path(got, "deeper", "c.bin"), file.path(tree, "sub", "deeper", "c.bin")))
  whole <- mlflow_download_artifacts_from_uri(paste0("runs:/", run$run_id), dst_path = file.path(dst, "all"))
  expect_setequal(list.files(whole), c("model.bin", "nested", "notes", "tree"))
})

test_that("logging starts a run when none is active, as the other logging calls do", {
  local_store()
  mlflow_log_text("x", "x.txt")
  run_id <- mlflow_active_run_id()
  expect_false(is.null(run_id))
  expect_equal(mlflow_list_artifacts()$path, "x.txt")
  mlflow_end_run()
})

# MLflow 3.17.2 (Python): downloads what R logged, lists it, logs a file and a tree for R to read.
python_artifacts <- '
import json, sys
import mlflow
from mlflow import MlflowClient

assert mlflow.__version__ == "3.17.2", mlflow.__version__
uri, run_id, dst, py_file, py_tree = sys.argv[1:6]
mlflow.set_tracking_uri(uri)
client = MlflowClient(tracking_uri=uri)
tree = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=dst)
text = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="notes/summary.txt", dst_path=dst)
listing = [[f.path, f.is_dir, f.file_size] for f in client.list_artifacts(run_id, "tree")]
client.log_artifact(run_id, py_file, "from-python")
client.log_artifacts(run_id, py_tree, "from-python/tree")
print(json.dumps({"tree": tree, "text": text, "listing": sorted(listing),
                  "artifact_uri": client.get_run(run_id).info.artifact_uri}))
'

# Logs a tree and a text from R to `run_id` through `client`, lets Python read them and log its
# own, and checks both directions byte for byte.
check_python_interop <- function(uri, run_id, client = NULL) {
  python <- Sys.getenv("LIBMLFLOW_TEST_PYTHON")
  src <- tempfile("interop-")
  tree <- make_tree(file.path(src, "tree"))
  mlflow_log_artifact(tree, artifact_path = "tree", run_id = run_id, client = client)
  mlflow_log_text("r wrote \u00e9", "notes/summary.txt", run_id = run_id, client = client)
  py_file <- write_random(file.path(src, "py", "weights.bin"), 2 * 1024 * 1024 + 3)
  py_tree <- make_tree(file.path(src, "py-tree"))

  script <- tempfile(fileext = ".py")
  writeLines(python_artifacts, script)
  dst <- file.path(src, "python-dst")
  output <- run_clean(python, c(script, shQuote(uri), run_id, shQuote(dst), shQuote(py_file), shQuote(py_tree)),
                      stdout = TRUE, stderr = FALSE)
  expect_null(attr(output, "status"))
  seen <- jsonlite::fromJSON(output[[length(output)]], simplifyVector = FALSE)

  expect_same_tree(seen$tree, tree)
  expect_equal(readLines(seen$text, encoding = "UTF-8", warn = FALSE), "r wrote \u00e9")
  # (MLflow's server leaves out an empty file's size of 0; the sqlite store's listing has it.)
  expect_equal(lapply(seen$listing, `[`, 1:2), list(list("tree/a.bin", FALSE), list("tree/empty.txt", FALSE),
                                                    list("tree/sub", TRUE)))
  expect_equal(seen$listing[[1]][[3]], 1500L)
  expect_null(seen$listing[[3]][[3]])

  listed <- mlflow_list_artifacts("from-python", run_id = run_id, client = client)
  expect_equal(sort(listed$path), c("from-python/tree", "from-python/weights.bin"))
  expect_equal(listed$file_size[listed$path == "from-python/weights.bin"], 2 * 1024 * 1024 + 3)
  got <- mlflow_download_artifacts("from-python/weights.bin", run_id = run_id, client = client)
  expect_true(same_bytes(got, py_file))
  dst_r <- file.path(src, "r-dst")
  got <- mlflow_download_artifacts_from_uri(paste0("runs:/", run_id, "/from-python/tree"), dst_path = dst_r,
                                            client = client)
  expect_same_tree(got, py_tree)
  seen$artifact_uri
}

test_that("MLflow 3.17.2 (Python) downloads byte-identical what R logged to sqlite, and the reverse", {
  skip_if(!nzchar(Sys.getenv("LIBMLFLOW_TEST_PYTHON")), "LIBMLFLOW_TEST_PYTHON is not set")
  uri <- local_store()
  run <- mlflow_start_run()
  mlflow_end_run()
  artifact_uri <- check_python_interop(uri, run$run_id)
  expect_equal(artifact_uri, mlflow_get_run(run$run_id)$artifact_uri)
})

test_that("through a real mlflow server's artifact proxy (mlflow-artifacts:), both ways", {
  server <- test_server()
  skip_if(is.null(server), "no mlflow-test-server.sh (set LIBMLFLOW_TEST_PYTHON)")
  client <- mlflow_client(server$url, spool_dir = tempfile("spool-"))
  withr::defer(mlflow_client_close(client))
  name <- paste0("r-artifacts-", sample.int(1e6, 1))
  experiment_id <- mlflow_create_experiment(name, artifact_location = paste0("mlflow-artifacts:/", name),
                                            client = client)
  run <- mlflow_start_run(experiment_id = experiment_id, client = client)
  expect_equal(run$artifact_uri, paste0("mlflow-artifacts:/", name, "/", run$run_id, "/artifacts"))

  artifact_uri <- check_python_interop(server$url, run$run_id, client = client)
  expect_equal(artifact_uri, run$artifact_uri)
  # The proxy stored what R sent in its destination, where MLflow lays it out.
  stored <- file.path(server$artifacts, name, run$run_id, "artifacts")
  expect_true(file.exists(file.path(stored, "tree", "sub", "deeper", "c.bin")))
  expect_true(file.exists(file.path(stored, "from-python", "weights.bin")))

  # Remote artifacts are downloaded into a new temporary directory; mlflow-artifacts: URIs
  # resolve through the client's server.
  rec <- progress_recorder()
  got <- mlflow_download_artifacts("from-python/weights.bin", run_id = run$run_id, client = client,
                                   progress = rec$fn)
  expect_false(startsWith(normalizePath(got), normalizePath(server$dir)))
  expect_true(same_bytes(got, file.path(stored, "from-python", "weights.bin")))
  expect_complete_progress(rec, 2 * 1024 * 1024 + 3)
  got <- mlflow_download_artifacts_from_uri(paste0(run$artifact_uri, "/tree/a.bin"), dst_path = tempfile(),
                                            client = client)
  expect_true(same_bytes(got, file.path(stored, "tree", "a.bin")))
  expect_equal(mlflow_end_run(run_id = run$run_id, client = client)$status, "FINISHED")
})

test_that("progress callbacks hear (0, total) to (total, total), monotone, on upload and download", {
  local_store()
  src <- tempfile("progress-")
  big <- write_random(file.path(src, "big.bin"), 3 * 1024 * 1024 + 17)
  tree <- make_tree(file.path(src, "tree"))
  run <- mlflow_start_run()

  up <- progress_recorder()
  mlflow_log_artifact(big, progress = up$fn)
  expect_complete_progress(up, file.size(big))
  expect_gte(length(unique(up$done)), 3)

  tree_up <- progress_recorder()
  mlflow_log_artifact(tree, artifact_path = "tree", progress = tree_up$fn)
  expect_complete_progress(tree_up, 1500 + 70000)

  down <- progress_recorder()
  got <- mlflow_download_artifacts_from_uri(paste0("runs:/", run$run_id, "/big.bin"), dst_path = tempfile(),
                                            progress = down$fn)
  expect_true(same_bytes(got, big))
  expect_complete_progress(down, file.size(big))

  # The callback may call libmlflow itself, e.g. log the progress as a metric of the run.
  mlflow_log_artifact(big, "again", progress = function(done, total) mlflow_log_metric("uploaded", done / total))
  uploaded <- mlflow_get_metric_history("uploaded")$value
  expect_equal(uploaded[[1]], 0)
  expect_equal(uploaded[[length(uploaded)]], 1)
  mlflow_end_run()
})

test_that("a progress callback that stops is raised after the call, which completes, and is not called again", {
  local_store()
  src <- tempfile("progress-stop-")
  big <- write_random(file.path(src, "big.bin"), 3 * 1024 * 1024)
  run <- mlflow_start_run()

  calls <- 0
  stopper <- function(done, total) {
    calls <<- calls + 1
    stop("cancelled by the callback at ", done)
  }
  err <- expect_error(mlflow_log_artifact(big, "up", progress = stopper), "cancelled by the callback at 0")
  expect_s3_class(err, "simpleError")
  expect_equal(calls, 1)
  # The transfer went on: the file is complete.
  expect_equal(mlflow_list_artifacts("up")$file_size, file.size(big))
  expect_true(same_bytes(mlflow_download_artifacts("up/big.bin"), big))

  # Failing later (after the first report), on a download, with a classed condition.
  calls <- 0
  late <- function(done, total) {
    calls <<- calls + 1
    cancel <- structure(class = c("my_cancel", "error", "condition"), list(message = "late stop", call = NULL))
    if (done > 0) stop(cancel)
  }
  dst <- tempfile("dst-")
  expect_error(mlflow_download_artifacts_from_uri(paste0("runs:/", run$run_id, "/up/big.bin"), dst, progress = late),
               class = "my_cancel")
  expect_equal(calls, 2)
  expect_true(same_bytes(file.path(dst, "big.bin"), big))

  # A callback that jumps past its own evaluation (no error to catch) is stopped there too.
  calls <- 0
  aborter <- function(done, total) {
    calls <<- calls + 1
    invokeRestart("abort")
  }
  expect_error(mlflow_log_artifact(big, "aborted", progress = aborter), "did not return normally")
  expect_equal(calls, 1)
  expect_equal(mlflow_list_artifacts("aborted")$file_size, file.size(big))

  # Warnings and messages are not failures: they reach the caller's handlers after the call.
  warned <- capture_warnings(mlflow_log_artifact(big, "warned", progress = function(done, total) warning("just so")))
  expect_gte(length(warned), 2)
  expect_true(all(warned == "just so"))
  said <- capture_messages(mlflow_log_artifact(big, "said", progress = function(done, total) message(done, "/", total)))
  expect_equal(said[[1]], paste0("0/", file.size(big), "\n"))
  expect_equal(mlflow_list_artifacts("warned")$file_size, file.size(big))
  expect_error(mlflow_log_artifact(big, progress = "not a function"), class = "mlflow_error_invalid_argument")
  mlflow_end_run()
})

test_that("bad artifact input gives classed errors with clear messages, and writes nothing", {
  local_store()
  src <- tempfile("bad-")
  file <- write_random(file.path(src, "f.bin"), 10)
  run <- mlflow_start_run()
  root <- mlflow_get_run(run$run_id)$artifact_uri

  for (bad in c("../x", "a/../../x", "/abs/dir")) {
    err <- expect_error(mlflow_log_artifact(file, artifact_path = bad), class = "mlflow_error_invalid_argument")
    expect_match(conditionMessage(err), bad, fixed = TRUE)
    expect_error(mlflow_log_artifact(src, artifact_path = bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_log_text("t", file.path(bad, "t.txt")), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_download_artifacts(file.path(bad, "f.bin")), class = "mlflow_error")
  }
  expect_false(file.exists(file.path(dirname(root), "x")))
  expect_false(file.exists("/abs/dir"))
  expect_equal(nrow(mlflow_list_artifacts()), 0)

  err <- expect_error(mlflow_log_artifact(file.path(src, "missing.bin")), class = "mlflow_error_not_found")
  expect_match(conditionMessage(err), "missing.bin", fixed = TRUE)
  err <- expect_error(mlflow_download_artifacts("nothing-here.txt"), class = "mlflow_error_not_found")
  expect_match(conditionMessage(err), "nothing-here.txt", fixed = TRUE)

  for (bad in list(NULL, NA, NA_character_, 1, c("a", "b"), character())) {
    expect_error(mlflow_log_artifact(bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_log_text(bad, "t.txt"), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_log_text("t", bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_download_artifacts(bad), class = "mlflow_error_invalid_argument")
    expect_error(mlflow_download_artifacts_from_uri(bad), class = "mlflow_error_invalid_argument")
  }
  expect_error(mlflow_log_artifact(NULL), "`path` must be a single non-NA character string, not NULL")
  expect_error(mlflow_log_artifact(file, artifact_path = NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_list_artifacts(path = NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_list_artifacts(run_id = NA), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_download_artifacts_from_uri("runs:/x", dst_path = NA), class = "mlflow_error_invalid_argument")

  invalid <- rawToChar(as.raw(c(0x66, 0xff, 0x2e, 0x74)))
  err <- expect_error(mlflow_log_text("t", invalid), class = "mlflow_error_invalid_argument")
  expect_match(conditionMessage(err), "`artifact_file` is not valid UTF-8")
  expect_error(mlflow_log_text(invalid, "t.txt"), class = "mlflow_error_invalid_argument")
  expect_error(mlflow_log_artifact(file, artifact_path = invalid), class = "mlflow_error_invalid_argument")

  unknown <- "0123456789abcdef0123456789abcdef"
  expect_error(mlflow_log_artifact(file, run_id = unknown), class = "mlflow_error_not_found")
  expect_error(mlflow_log_text("t", "t.txt", run_id = unknown), class = "mlflow_error_not_found")
  err <- expect_error(mlflow_list_artifacts(run_id = unknown), class = "mlflow_error_not_found")
  expect_match(conditionMessage(err), unknown)
  expect_error(mlflow_download_artifacts("f.bin", run_id = unknown), class = "mlflow_error_not_found")
  expect_error(mlflow_download_artifacts_from_uri(paste0("runs:/", unknown, "/f.bin")),
               class = "mlflow_error_not_found")
  expect_error(mlflow_download_artifacts_from_uri("nosuchscheme://bucket/x"), class = "mlflow_error")
  mlflow_end_run()

  # Nothing was logged by the rejected calls; a closed client is an error, not a crash.
  expect_equal(nrow(mlflow_list_artifacts(run_id = run$run_id)), 0)
  client <- mlflow_client()
  mlflow_client_close(client)
  expect_error(mlflow_log_text("t", "t.txt", run_id = run$run_id, client = client), class = "mlflow_error_closed")
  expect_error(mlflow_list_artifacts(run_id = run$run_id, client = client), class = "mlflow_error_closed")
})
