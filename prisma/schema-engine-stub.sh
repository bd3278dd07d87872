#!/bin/sh
echo "modelgraph: the native Prisma schema engine is not used in this project." >&2
echo "Apply migrations by starting the server (or the tests); author one with: pnpm migration:new <name>" >&2
exit 1
