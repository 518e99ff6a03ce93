// Package profile reads, validates and discovers AnyConnect XML client
// profiles, including those deployed by MDM into the standard folders.
//
// Unfinished: nothing is implemented yet (see the README's status section).
package profile
