#!/usr/bin/env bash
# Follows README "Deployment" → "Start the workers" verbatim on this machine: two webhook
# workers on a local PostgreSQL and Redis, with the in-repo Bot API test server standing in
# for Telegram (it delivers updates to the webhook over plain http on 127.0.0.1).
#
#   JIAYI_TRY_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/jiayi_try \
#   JIAYI_TRY_REDIS_URL=redis://127.0.0.1:6379/14 deploy/try-two-workers.sh
#
# The database must exist (its schema is migrated by the guide's `jiayi db upgrade`). Exits 0
# when both workers answered /readyz and /metrics shows exactly one planning leader.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/.venv/bin:$PATH"
: "${JIAYI_TRY_POSTGRES_URL:?set JIAYI_TRY_POSTGRES_URL to a PostgreSQL database}"
: "${JIAYI_TRY_REDIS_URL:=redis://127.0.0.1:6379/14}"
port=${JIAYI_TRY_PORT:-18080}
botapi_port=${JIAYI_TRY_BOTAPI_PORT:-18081}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

python -m jiayi.sandbox.botapi --port "$botapi_port" >"$work/botapi.log" 2>&1 &
pids+=($!)

cat >"$work/jiayi.env" <<ENV
JIAYI_BOT_TOKEN=123456789:TRY-two-workers
JIAYI_TELEGRAM_API_URL=http://127.0.0.1:$botapi_port
JIAYI_DATABASE_URL=$JIAYI_TRY_POSTGRES_URL
JIAYI_REDIS_URL=$JIAYI_TRY_REDIS_URL
JIAYI_WEBHOOK_URL=http://127.0.0.1:$port/telegram
JIAYI_WEBHOOK_SECRET=$(python -c 'import secrets; print(secrets.token_hex(32))')
JIAYI_WEBHOOK_LISTEN=127.0.0.1:$port
JIAYI_LOG_FORMAT=json
ENV

# The guide's commands, exactly as the README shows them.
guide=$(sed -n '/<!-- guide:start-workers -->/,/<!-- \/guide:start-workers -->/p' README.md \
  | sed -n '/^```bash$/,/^```$/p' | sed '1d;$d')
[ -n "$guide" ] || { echo "README guide block not found" >&2; exit 1; }
JIAYI_ENV_FILE="$work/jiayi.env" bash -c "$guide" >"$work/workers.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/readyz"
sleep 3  # both workers bid for the lease
leaders=$(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^jiayi_scheduler_leader /{print $2}')
echo "planning leaders: $leaders"
if [ "${leaders%.*}" != "1" ]; then
  echo "expected exactly one planning leader" >&2
  tail -50 "$work/workers.log" >&2
  exit 1
fi
echo "two workers up, one leader: OK"
