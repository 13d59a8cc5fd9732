package scim

import (
	"context"

	"github.com/absorb-scim/absorb-scim/scimdoc"
)

// UserBackend is what the HTTP layer needs of the user use cases. Errors that
// are *scimdoc.Error carry their own status; anything else is a 500.
type UserBackend interface {
	// UserSchema is the user resource schema, built once by the backend:
	// the HTTP layer normalises, filters and projects with the same schema
	// the backend applies PATCH operations with.
	UserSchema() *scimdoc.ResourceSchema
	CreateUser(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error)
	GetUser(ctx context.Context, id string) (scimdoc.Resource, error)
	ListUsers(ctx context.Context, q scimdoc.Query) (scimdoc.Page, error)
	ReplaceUser(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error)
	// PatchUser applies the operations in order, atomically, while it
	// holds the user, so concurrent writers are serialised.
	PatchUser(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error)
	DeleteUser(ctx context.Context, id string, pre scimdoc.Precondition) error
}

// GroupBackend is what the HTTP layer needs of the group use cases. Members
// are loaded only when withMembers is true, so a client that excludes them
// never pays for a large group.
type GroupBackend interface {
	// GroupSchema is the group resource schema, as UserSchema.
	GroupSchema() *scimdoc.ResourceSchema
	CreateGroup(ctx context.Context, doc scimdoc.Document) (scimdoc.Resource, error)
	GetGroup(ctx context.Context, id string, withMembers bool) (scimdoc.Resource, error)
	ListGroups(ctx context.Context, q scimdoc.Query, withMembers bool) (scimdoc.Page, error)
	ReplaceGroup(ctx context.Context, id string, doc scimdoc.Document, pre scimdoc.Precondition) (scimdoc.Resource, error)
	// PatchGroup applies the operations in order, atomically; membership
	// operations cost in proportion to the members they name.
	PatchGroup(ctx context.Context, id string, pre scimdoc.Precondition, ops []scimdoc.Operation) (scimdoc.Resource, error)
	DeleteGroup(ctx context.Context, id string, pre scimdoc.Precondition) error
}
