module hotplugsim/bench

go 1.26.8

require (
	github.com/agoussia/godes v0.0.0-20180605170806-4952b44f646a
	github.com/fschuetz04/simgo v0.7.0
	hotplugsim v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/leanovate/gopter v0.2.11 // indirect
)

replace hotplugsim => ../
