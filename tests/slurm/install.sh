#!/bin/sh
# Install a single-node SLURM (22.05 on Debian 12) and munge for tests/slurm.
# Needs root. Daemons are started by tests/slurm/cluster.sh, never by the packages.
set -eu

# Keep the packages' postinst scripts from starting daemons (no systemd here, and
# the cluster must use the config cluster.sh writes).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
fi

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 \
    slurmctld slurmd slurm-client munge

if [ -n "$created_policy" ]; then
    rm -f /usr/sbin/policy-rc.d
fi
