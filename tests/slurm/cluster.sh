#!/bin/bash
# Start or stop a real single-node SLURM cluster on localhost (root, no systemd).
#
#   tests/slurm/cluster.sh up      write slurm.conf, start munged, slurmctld, slurmd; wait for idle
#   tests/slurm/cluster.sh down    cancel leftover jobs, stop the daemons, remove /etc/slurm/slurm.conf
#   tests/slurm/cluster.sh status  print the node state
#
# Packages: tests/slurm/install.sh. State, spool, logs and pid files live in
# $VARNODE_SLURM_DIR (default ${TMPDIR:-/tmp}/varnode-slurm); `up` starts from an empty one.
# The config must sit at /etc/slurm/slurm.conf (a symlink here): the executor plugin's job
# step strips SLURM_* variables, so SLURM_CONF alone does not reach it. `down` removes the
# symlink again, because a config without a controller makes every Snakemake start ~10 s slower.
set -euo pipefail

STATE_DIR="${VARNODE_SLURM_DIR:-${TMPDIR:-/tmp}/varnode-slurm}"
CONF="$STATE_DIR/slurm.conf"
SYSTEM_CONF=/etc/slurm/slurm.conf
MUNGE_RUN=/run/munge
PARTITION=debug
WAIT_SECONDS=60

log() { echo "cluster.sh: $*" >&2; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { sinfo -h -n localhost -o %T 2>/dev/null || true; }

write_conf() {
    local cpus mem_mb
    cpus=$(nproc)
    # Leave 10% of RAM to the OS and the controlling Snakemake.
    mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
    cat >"$CONF" <<EOF
ClusterName=varnode
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# Start batch jobs as soon as they are submitted.
SchedulerParameters=batch_sched_delay=0
# Reject jobs asking for more than the node has, instead of leaving them PENDING forever.
EnforcePartLimits=ALL
# squeue-based status checks need finished jobs to stay visible for a while (>= 3x the
# plugin's --slurm-init-seconds-before-status-checks).
MinJobAge=300
ReturnToService=2
KillWait=5
InactiveLimit=0
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$STATE_DIR/state
SlurmdSpoolDir=$STATE_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/log/slurmctld.log
SlurmdLogFile=$STATE_DIR/log/slurmd.log
NodeName=localhost CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
    install -d -o munge -g munge -m 0755 "$MUNGE_RUN"
    install -d -o munge -g munge -m 0700 "$STATE_DIR/munge"
    if munge -n </dev/null >/dev/null 2>&1; then
        log "munged already running; using it"
        return
    fi
    runuser -u munge -- munged --pid-file="$STATE_DIR/munge/munged.pid"
}

wait_for_idle() {
    local deadline=$((SECONDS + WAIT_SECONDS)) state
    while ((SECONDS < deadline)); do
        state=$(node_state)
        if [ "$state" = idle ]; then
            log "node localhost is idle (partition $PARTITION, config $CONF)"
            return 0
        fi
        sleep 0.5
    done
    log "node did not become idle within ${WAIT_SECONDS}s (state: '${state:-none}'); logs in $STATE_DIR/log"
    return 1
}

up() {
    if alive "$STATE_DIR/slurmctld.pid" || alive "$STATE_DIR/slurmd.pid"; then
        if [ "$(node_state)" = idle ]; then
            log "already up"
            return 0
        fi
        log "a previous cluster is still running but not idle; stopping it first"
        down
    fi
    if [ -e "$SYSTEM_CONF" ] && [ "$(readlink -f "$SYSTEM_CONF")" != "$(readlink -f "$CONF")" ]; then
        log "$SYSTEM_CONF exists and is not ours; refusing to replace it"
        return 1
    fi
    rm -rf "$STATE_DIR"
    mkdir -p "$STATE_DIR"/{state,spool,log}
    write_conf
    mkdir -p "$(dirname "$SYSTEM_CONF")"
    ln -sfn "$CONF" "$SYSTEM_CONF"
    start_munge
    slurmctld
    slurmd -N localhost
    wait_for_idle
}

stop_pidfile() {
    local pidfile=$1 pid deadline
    alive "$pidfile" || return 0
    pid=$(cat "$pidfile")
    kill "$pid"
    deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ($pidfile) ignored SIGTERM; killing it"
        kill -9 "$pid"
    fi
}

down() {
    if alive "$STATE_DIR/slurmctld.pid"; then
        # Leftover jobs must be cancelled while the controller can still do it.
        squeue -h -o %i | xargs -r scancel || true
        local deadline=$((SECONDS + 20))
        while [ -n "$(squeue -h -t RUNNING,COMPLETING -o %i 2>/dev/null)" ] \
            && ((SECONDS < deadline)); do
            sleep 0.5
        done
    fi
    stop_pidfile "$STATE_DIR/slurmd.pid"
    stop_pidfile "$STATE_DIR/slurmctld.pid"
    stop_pidfile "$STATE_DIR/munge/munged.pid"
    if [ -L "$SYSTEM_CONF" ] && [ "$(readlink -f "$SYSTEM_CONF")" = "$(readlink -f "$CONF")" ]; then
        rm -f "$SYSTEM_CONF"
    fi
    log "down (logs kept in $STATE_DIR/log)"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) sinfo -N -o '%N %T %c %m' ;;
*)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
