// Package marketplace holds the training marketplace's domain: providers
// (organismes de formation), their offers (actions de formation) and the
// sessions of those offers, with the rules that govern them (SIRET and NDA
// checks, Qualiopi certification before publication, object-level
// ownership).
//
// Data comes from providers through the API and from the catalogue importers
// (package ingest); it goes to the search index (package search), the web
// pages and, later, to dossiers and the ledger. Storage is behind the Store
// interface, implemented by the backends under store/.
package marketplace
