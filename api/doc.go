// Package api is the HTTP interface of Parcours: the Gin router, one file
// per resource, one error table that turns domain errors into RFC 9457
// problem+json responses, and the middleware every request goes through
// (request IDs, access logs, metrics, body limits, rate limits, bearer
// tokens). Wire types live here; domain packages know nothing of JSON.
package api
