/** A name/value table (query parameters, form fields, header fields), values as plain text. */
export interface KeyValueTableProps {
  pairs: readonly (readonly [string, string])[];
  /** data-testid of each row, and of its name and value cells when given. */
  rowTestId: string;
  nameTestId?: string;
  valueTestId?: string;
  className?: string;
}

export function KeyValueTable({ pairs, rowTestId, nameTestId, valueTestId, className }: KeyValueTableProps) {
  return (
    <table className={`kv-table ${className ?? ''}`}>
      <thead><tr><th>Name</th><th>Value</th></tr></thead>
      <tbody>
        {pairs.map(([name, value], i) => (
          <tr key={i} data-testid={rowTestId}>
            <td className="kv-name" data-testid={nameTestId}>{name}</td>
            <td className="kv-value" data-testid={valueTestId}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
