/**
 * The few messages of PostgreSQL's logical replication protocol (pgoutput, version 1) that
 * Debezium's PostgreSQL connector reads for an insert-only outbox: Relation (the columns and
 * their type OIDs), Insert (each column's value as text), and which other kinds came through.
 * https://www.postgresql.org/docs/17/protocol-logicalrep-message-formats.html
 */
export interface Relation {
  name: string;
  columns: Array<{ name: string; typeOid: number }>;
}

export type Decoded =
  | { kind: 'relation'; relation: Relation }
  | { kind: 'insert'; relation: string; row: Record<string, string | null> }
  | { kind: 'other'; tag: string };

export function decodePgoutput(messages: Buffer[]): Decoded[] {
  const relations = new Map<number, Relation>();
  return messages.map((buf) => {
    let at = 1;
    const int8 = () => buf.readInt8(at++);
    const int16 = () => ((at += 2), buf.readInt16BE(at - 2));
    const int32 = () => ((at += 4), buf.readInt32BE(at - 4));
    const cstring = () => {
      const end = buf.indexOf(0, at);
      const s = buf.toString('utf8', at, end);
      at = end + 1;
      return s;
    };
    const tag = String.fromCharCode(buf[0]);
    if (tag === 'R') {
      const id = int32();
      cstring(); // namespace
      const name = cstring();
      int8(); // replica identity
      const columns = Array.from({ length: int16() }, () => {
        int8(); // flags
        const column = { name: cstring(), typeOid: int32() };
        int32(); // type modifier
        return column;
      });
      relations.set(id, { name, columns });
      return { kind: 'relation', relation: { name, columns } };
    }
    if (tag === 'I') {
      const relation = relations.get(int32());
      if (!relation) throw new Error('insert before its relation');
      at++; // 'N'
      const row: Record<string, string | null> = {};
      const count = int16();
      for (let i = 0; i < count; i++) {
        const kind = String.fromCharCode(buf[at++]);
        const name = relation.columns[i].name;
        if (kind === 't') {
          const len = int32();
          row[name] = buf.toString('utf8', at, at + len);
          at += len;
        } else row[name] = null;
      }
      return { kind: 'insert', relation: relation.name, row };
    }
    return { kind: 'other', tag };
  });
}
