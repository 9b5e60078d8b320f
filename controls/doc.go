// Package controls will hold the automatic controls (fraud, sectarian drift,
// discrimination) and the review of their alerts; nothing is implemented
// here yet.
package controls
