/**
 * The unmodified @supabase/supabase-js client against a Guardian realtime gateway, for
 * tests: a client signed in as a user, and a subscription that resolves once the server
 * has confirmed its postgres_changes bindings, collecting what it receives.
 */
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { until } from './suite.js';

export interface Change {
  table: string;
  eventType: 'INSERT' | 'UPDATE' | 'DELETE';
  new: Record<string, unknown>;
  old: Record<string, unknown>;
}

export async function realtimeClient(baseUrl: string, anonKey: string, userToken: string, vsn: '1.0.0' | '2.0.0' = '2.0.0'): Promise<SupabaseClient> {
  const supabase = createClient(baseUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never /* ws's constructor type differs from the DOM one the option names */, vsn },
  });
  await supabase.realtime.setAuth(userToken);
  return supabase;
}

/** Subscribes and resolves once joined and the server has confirmed the postgres_changes bindings. */
export async function subscribe(
  supabase: SupabaseClient,
  name: string,
  bindings: { table: string; event?: '*' | 'INSERT' | 'UPDATE' | 'DELETE'; filter?: string }[],
  waitMs = 30_000,
): Promise<Change[]> {
  const received: Change[] = [];
  let channel: RealtimeChannel = supabase.channel(name);
  for (const b of bindings) {
    channel = channel.on(
      'postgres_changes',
      { event: (b.event ?? '*') as '*', schema: 'public', table: b.table, ...(b.filter ? { filter: b.filter } : {}) },
      (payload) => received.push({ table: payload.table, eventType: payload.eventType, new: payload.new as Record<string, unknown>, old: payload.old as Record<string, unknown> }),
    );
  }
  const systems: Record<string, unknown>[] = [];
  channel.on('system', {}, (p) => systems.push(p));
  await new Promise<void>((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status !== 'CLOSED') reject(new Error(`${name}: ${status}: ${error?.message ?? ''}`));
    });
  });
  await until(() => systems.some((s) => s.extension === 'postgres_changes' && s.status === 'ok'), waitMs);
  return received;
}
