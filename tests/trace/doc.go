// Package trace checks what an operator sees of a running Tongdu: the shape of one
// request's trace across the gateway, the services and Redis, and the metrics page.
// OpenTelemetry's providers are process-global, so these tests live in a package of
// their own, set the providers up once in TestMain and never run in parallel.
package trace
