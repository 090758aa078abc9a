# What scripts/bench and scripts/churn share (sourced by both, not run on its own): the
# benchmark's accounts, a free port, waiting for the server, and the churn phase's communes.

PASSWORD='Bench-Pass-2026!'

# bench_accounts BIN: the viewers, and the staff and reviewers of four communes in two districts
# whose synthetic 2024-Q4 report passes the validation rules (so that it can be submitted).
bench_accounts() {
  local bin=$1
  add_user() {
    printf '%s\n' "$PASSWORD" | "$bin" user add --username "$1" --name "Đo hiệu năng $1" --unit "$2" \
      --as-of 2024-12-31 --role "$3" --password-stdin >/dev/null
  }
  add_user bench.tw TW lanh_dao
  add_user bench.tinh 91 lanh_dao
  add_user bench.huyen 905 lanh_dao
  add_user bench.xa 30883 lanh_dao
  add_user bench.nhap1 30883 nhap_lieu
  add_user bench.nhap2 30886 nhap_lieu
  add_user bench.duyet 905 duyet
  add_user bench.duyet906 906 duyet
  for code in 30880 30919 30940; do add_user "bench.nhap.$code" "$code" nhap_lieu; done
}

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# wait_healthy URL: up to a minute for /healthz to answer.
wait_healthy() { for _ in $(seq 1 120); do curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }

# run_churn URL SECONDS: scripts/bench_churn.py with the four communes and their reviewers.
run_churn() {
  python3 scripts/bench_churn.py "$1" "$2" "$PASSWORD" bench.nhap1:30883:bench.duyet \
    bench.nhap.30880:30880:bench.duyet bench.nhap.30919:30919:bench.duyet906 \
    bench.nhap.30940:30940:bench.duyet906 || echo "warning: some correction cycles failed (above)"
}
