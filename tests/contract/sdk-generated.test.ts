import { readFileSync } from 'node:fs'
import { ERROR_STATUS } from '@todo/contracts'
import type { AppRouter } from '@todo/server'
import type { RouterInputs, RouterOutputs, TodoClient, TodoRouter } from '@todo-api/client-sdk'
import type { TRPCClient } from '@trpc/client'
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  GENERATED_FILES,
  readOpenApiDocument,
  renderOpenApiTypes,
  renderRouterTypes,
} from '../../client-sdk/scripts/codegen.js'
import { STATUS_OF_CODE } from '../../client-sdk/src/errors.js'

const STALE = 'is stale: run `pnpm generate`'

describe('client-sdk/src/generated', () => {
  it('openapi.ts is what openapi-typescript makes of the committed document', async () => {
    const expected = await renderOpenApiTypes(readOpenApiDocument())
    expect(readFileSync(GENERATED_FILES.openapi, 'utf8'), `openapi.ts ${STALE}`).toBe(expected)
  })

  it("router.ts is the server's AppRouter written out", () => {
    expect(readFileSync(GENERATED_FILES.router, 'utf8'), `router.ts ${STALE}`).toBe(renderRouterTypes())
  })

  it('types the client exactly as the server router would (checked by `pnpm typecheck`)', () => {
    expectTypeOf<RouterInputs>().toEqualTypeOf<inferRouterInputs<AppRouter>>()
    expectTypeOf<RouterOutputs>().toEqualTypeOf<inferRouterOutputs<AppRouter>>()
    expectTypeOf<inferRouterError<TodoRouter>>().toEqualTypeOf<inferRouterError<AppRouter>>()
    expectTypeOf<TodoClient>().toEqualTypeOf<TRPCClient<AppRouter>>()
  })
})

describe('client-sdk/src/errors.ts', () => {
  it("keeps the SDK's copy of the error statuses equal to the contract's", () => {
    expect(STATUS_OF_CODE).toEqual(ERROR_STATUS)
  })
})
