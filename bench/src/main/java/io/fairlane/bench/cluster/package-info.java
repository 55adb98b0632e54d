/**
 * The cluster benchmark (bench/cluster/run.sh): prefix-affinity routing against round robin over engine replicas
 * modelled by their prefix caches, with a replica lost mid-run, and the RPM that two routers sharing one real Redis
 * actually grant.
 */
package io.fairlane.bench.cluster;
