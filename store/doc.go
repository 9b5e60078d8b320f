// Package store is the parent of the storage backends: bolt (the embedded
// default), and the conformance suite storetest that every backend passes.
// Backends import the domain packages and implement the store interfaces
// those packages define; domain packages never import a backend.
package store
