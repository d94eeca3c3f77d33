// Package placement is the pure scheduling core: given hosts, instances and an app spec it computes which instances to place and remove.
package placement
