#!/usr/bin/env bash
# A single-node SLURM cluster with accounting, for testing profiles/slurm for real.
#   scripts/slurm-test-cluster.sh start STATE_DIR   install (Debian packages) and start
#   scripts/slurm-test-cluster.sh stop STATE_DIR    stop every daemon it started
# Needs root. One node with the machine's cores and memory and two fake GPUs (character
# devices: a gres.conf with only Count= leaves the node INVAL). Accounting goes through
# slurmdbd and MariaDB because the snakemake slurm executor polls sacct: without accounting
# storage sacct errors and snakemake waits forever after the jobs finish.
set -euo pipefail

cmd=${1:?start or stop}
state=$(realpath -m "${2:?state directory}")
account=brainlike

stop() {
    for name in slurm.conf gres.conf slurmdbd.conf; do
        if [ "$(readlink "/etc/slurm/$name" 2>/dev/null)" = "$state/$name" ]; then
            rm -f "/etc/slurm/$name"
        fi
    done
    for pidfile in "$state"/run/*.pid; do
        [ -e "$pidfile" ] || continue
        kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 1
    for pidfile in "$state"/run/*.pid; do
        [ -e "$pidfile" ] || continue
        kill -9 "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    done
}

if [ "$cmd" = stop ]; then
    stop
    exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 3; }

if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null \
        || ! command -v mariadbd >/dev/null; then
    packages="slurm-wlm slurmdbd mariadb-server munge"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >/dev/null
    }
fi

mkdir -p "$state"/{run,log,spool/ctld,spool/d,db,dev}
host=$(hostname -s)
# The node claims at least 8 cores and 64 GB (config_overrides: slurmd believes the config),
# so the shipped profile's requests fit unchanged on a small machine; nothing enforces them.
cpus=$(( $(nproc) > 8 ? $(nproc) : 8 ))
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))
mem=$(( mem > 64000 ? mem : 64000 ))

# munge: a key of its own; the socket where SLURM's clients (sbatch, sacct) look for it
if [ ! -s "$state/munge.key" ]; then
    dd if=/dev/urandom of="$state/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$state/munge.key"
mkdir -p /run/munge
munged --force --key-file="$state/munge.key" --socket=/run/munge/munge.socket.2 \
    --pid-file="$state/run/munged.pid" --log-file="$state/log/munged.log" \
    --seed-file="$state/run/munge.seed"

# MariaDB for slurmdbd
if [ ! -d "$state/db/mysql" ]; then
    mariadb-install-db --user=root --datadir="$state/db" --auth-root-authentication-method=normal \
        >"$state/log/mariadb-install.log" 2>&1
fi
mariadbd --user=root --datadir="$state/db" --socket="$state/run/mysql.sock" \
    --pid-file="$state/run/mariadbd.pid" --skip-networking=0 --bind-address=127.0.0.1 \
    --port=3307 --log-error="$state/log/mariadb.log" </dev/null >/dev/null 2>&1 &
for _ in $(seq 60); do
    mariadb --socket="$state/run/mysql.sock" -uroot -e "select 1" >/dev/null 2>&1 && break
    sleep 0.5
done
mariadb --socket="$state/run/mysql.sock" -uroot -e \
    "create database if not exists slurm_acct_db;"

# fake GPUs: gres needs device files; /dev/null's numbers make harmless ones
for i in 0 1; do
    [ -e "$state/dev/nvidia$i" ] || mknod "$state/dev/nvidia$i" c 1 3
done

conf="$state/slurm.conf"
cat >"$state/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
PidFile=$state/run/slurmdbd.pid
LogFile=$state/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3307
StorageUser=root
StorageLoc=slurm_acct_db
EOF
chmod 600 "$state/slurmdbd.conf"
cat >"$conf" <<EOF
ClusterName=brainlike-test
SlurmctldHost=$host
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageTRES=gres/gpu
JobAcctGatherType=jobacct_gather/none
# the executor names a job by run, its rule and wildcards go in the comment
AccountingStoreFlags=job_comment
MinJobAge=600
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=$host CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=cpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$host Default=NO MaxTime=INFINITE State=UP
EOF
cat >"$state/gres.conf" <<EOF
NodeName=$host Name=gpu File=$state/dev/nvidia[0-1]
EOF
# The configuration goes where SLURM looks by default: the executor's jobs run srun with the
# SLURM_* variables removed, SLURM_CONF included. A machine with a SLURM of its own is left alone.
mkdir -p /etc/slurm
for name in slurm.conf gres.conf slurmdbd.conf; do
    if [ -e "/etc/slurm/$name" ] && [ "$(readlink "/etc/slurm/$name")" != "$state/$name" ]; then
        echo "/etc/slurm/$name exists and is not this test cluster's: not touching it" >&2
        exit 5
    fi
    ln -sfn "$state/$name" "/etc/slurm/$name"
done
export SLURM_CONF="$conf"

# slurmdbd reads slurmdbd.conf from the directory of SLURM_CONF
slurmdbd
for _ in $(seq 60); do
    timeout 5 sacctmgr -i show cluster >/dev/null 2>&1 && break
    sleep 0.5
done
sacctmgr -i add cluster brainlike-test >/dev/null 2>&1 || true
sacctmgr -i add account "$account" cluster=brainlike-test >/dev/null 2>&1 || true
sacctmgr -i add user root account="$account" cluster=brainlike-test >/dev/null 2>&1 || true
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 60); do
    state_now=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
    [ "$state_now" = idle ] && break
    sleep 0.5
done
sinfo -h -o %T | grep -q idle || {
    echo "the node did not come up: $(sinfo -h -o '%T %E' 2>&1)" >&2
    tail -20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
    exit 4
}
echo "SLURM_CONF=$conf account=$account"
