// A minimal user program over the installed C++ header: logs to the database named on the command
// line and checks the value reads back. Exit status 0 only if it does.
#include <mlflow/mlflow.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer_cpp sqlite:///path/to/mlflow.db\n";
    return 2;
  }
  try {
    mlflow::Client client(mlflow::Options().tracking_uri(argv[1]));
    std::string run_id;
    {
      mlflow::Run run = client.start_run(client.set_experiment("consumer"), "consumer-cpp");
      run_id = run.id();
      run.log_metric("answer", 42.0, 1);
    }
    const std::string run_json = client.call("runs/get", "{\"run_id\":\"" + run_id + "\"}");
    client.close();
    const bool ok = run_json.find("\"key\":\"answer\"") != std::string::npos &&
                    run_json.find("\"status\":\"FINISHED\"") != std::string::npos;
    std::cout << "consumer_cpp (libmlflow " << mlflow::version() << "): " << (ok ? "ok" : "MISSING DATA") << "\n";
    return ok ? 0 : 1;
  } catch (const mlflow::Error& e) {
    std::cerr << "consumer_cpp: " << e.status_name() << ": " << e.what() << "\n";
    return 1;
  }
}
