#!/usr/bin/env bash
# Load and proxy tools of the reliability tests and benchmarks: nginx (the load balancer
# in front of several replicas; nginx-light is enough: upstream, proxy, keepalive), wrk
# (the HTTP load generator of `make bench`) and util-linux's taskset (pins server and
# load generator to different cores so each measurement owns one core).
source "$(dirname "$0")/lib.sh"
apt_install nginx-light wrk util-linux
