/**
 * Tenants as the front end sees them: the key directory ({@link io.fairlane.gateway.tenant.TenantDirectory})
 * and the authentication decorator ({@link io.fairlane.gateway.tenant.Authenticator}).
 */
package io.fairlane.gateway.tenant;
