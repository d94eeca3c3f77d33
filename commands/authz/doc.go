// Package authz decides what an API token may do: roles, the capabilities each grants, and which capability each route needs (pure data and pure functions).
package authz
