# Sourced by the test scripts that start `keyward serve --addr 127.0.0.1:0`.
# serve_addr PID STDERR_FILE: waits (at most 10 s) for the server to print its address on
# stderr and prints it; if the server exits or never says, prints its stderr and fails.
serve_addr() {
  local addr
  for _ in $(seq 1 100); do
    addr=$(sed -n 's|^keyward serve: listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$2")
    if [ -n "$addr" ]; then
      echo "$addr"
      return 0
    fi
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  echo "keyward serve did not start" >&2
  cat "$2" >&2
  return 1
}
