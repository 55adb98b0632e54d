/**
 * The operator's API under {@code /admin}, open only to the keys listed under {@code admin_keys} in the
 * configuration, never to tenants' keys. {@code GET /admin/usage} reports each tenant's requests, tokens,
 * prefix-cache use and SLO status as this replica has counted them since it started.
 */
package io.fairlane.gateway.admin;
