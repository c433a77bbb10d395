import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { formatMoney } from '../format.js';
import {
  CreateMenuItemDocument,
  GrantRoleDocument,
  MenuDocument,
  RestockDishDocument,
  RestockDrinkDocument,
  RestockPastryDocument,
  UpdateMenuItemDocument,
  type Category,
  type MenuItemCardFragment,
  type Role,
} from '../graphql/generated.js';
import { parsePrice } from '../rules.js';
import { ApiKeys } from './ApiKeys.js';
import { UnreachableCaseError } from '../unreachable.js';

export function AdminPage() {
  const menu = useQuery(MenuDocument);
  const items = menu.data?.menu ?? [];
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      {menu.loading && !menu.data && <Loading what="the menu" />}
      <ErrorMessage error={menu.error} />
      <div className="admin-grid">
        <Restock items={items} />
        <CreateItem />
        <EditItem items={items} />
        <GrantRole />
        <ApiKeys />
      </div>
    </section>
  );
}

function Outcome({ error, done }: { error: unknown; done: string | null }) {
  return (
    <>
      <ErrorMessage error={error} />
      {done && !error && (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </>
  );
}

function ItemSelect({
  id,
  items,
  value,
  onChange,
}: {
  id: string;
  items: readonly MenuItemCardFragment[];
  value: string;
  onChange: (id: string) => void;
}) {
  return (
    <select id={id} required value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Choose an item</option>
      {items.map((item) => (
        <option key={item.id} value={item.id}>
          {item.name} ({item.stock} in stock)
        </option>
      ))}
    </select>
  );
}

function Restock({ items }: { items: readonly MenuItemCardFragment[] }) {
  const ids = { item: useId(), quantity: useId() };
  const [itemId, setItemId] = useState('');
  const [quantity, setQuantity] = useState('10');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [drink] = useMutation(RestockDrinkDocument);
  const [dish] = useMutation(RestockDishDocument);
  const [pastry] = useMutation(RestockPastryDocument);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const item = items.find((i) => i.id === itemId);
    if (!item) return;
    const variables = { id: item.id, quantity: Number(quantity) };
    setError(null);
    setDone(null);
    try {
      // Each station owns its own type's stock: the item's type picks the station's mutation.
      switch (item.__typename) {
        case 'Drink':
          await drink({ variables });
          break;
        case 'Dish':
          await dish({ variables });
          break;
        case 'Pastry':
          await pastry({ variables });
          break;
        default:
          throw new UnreachableCaseError(item);
      }
      setDone(`Added ${quantity} ${item.name}.`);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="restock-title">
      <h2 id="restock-title">Restock</h2>
      <label htmlFor={ids.item}>Item to restock</label>
      <ItemSelect id={ids.item} items={items} value={itemId} onChange={setItemId} />
      <label htmlFor={ids.quantity}>Quantity to add</label>
      <input id={ids.quantity} type="number" min={1} max={10000} required value={quantity} onChange={(e) => setQuantity(e.target.value)} />
      <Outcome error={error} done={done} />
      <button type="submit">Restock</button>
    </form>
  );
}

const CATEGORY_OPTIONS: { value: Category; label: string }[] = [
  { value: 'DRINK', label: 'Drink (bar)' },
  { value: 'MEAL', label: 'Meal (kitchen)' },
  { value: 'DESSERT', label: 'Dessert (bakery)' },
];

function CreateItem() {
  const ids = { name: useId(), description: useId(), price: useId(), category: useId() };
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [price, setPrice] = useState('');
  const [category, setCategory] = useState<Category>('DRINK');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [create, { error }] = useMutation(CreateMenuItemDocument, { refetchQueries: [MenuDocument] });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const cents = parsePrice(price);
    setInvalid(cents === null ? 'Enter a price like 3.50.' : null);
    setDone(null);
    if (cents === null) return;
    const result = await create({ variables: { input: { name, description: description || null, price: cents, category } } }).catch(
      () => null,
    );
    if (result?.data) {
      setDone(
        `${result.data.createMenuItem.name} is on the menu at ${formatMoney(result.data.createMenuItem.price)}; restock it to sell it.`,
      );
      setName('');
      setDescription('');
      setPrice('');
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">New menu item</h2>
      <label htmlFor={ids.name}>Item name</label>
      <input id={ids.name} required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={ids.description}>Description</label>
      <input id={ids.description} value={description} onChange={(e) => setDescription(e.target.value)} />
      <label htmlFor={ids.price}>Price (USD)</label>
      <input
        id={ids.price}
        inputMode="decimal"
        required
        value={price}
        aria-invalid={!!invalid}
        onChange={(e) => setPrice(e.target.value)}
      />
      <label htmlFor={ids.category}>Category</label>
      <select id={ids.category} value={category} onChange={(e) => setCategory(e.target.value as Category)}>
        {CATEGORY_OPTIONS.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      {invalid && (
        <p className="error" role="alert">
          {invalid}
        </p>
      )}
      <Outcome error={error} done={done} />
      <button type="submit">Create item</button>
    </form>
  );
}

function EditItem({ items }: { items: readonly MenuItemCardFragment[] }) {
  const ids = { item: useId(), name: useId(), description: useId(), price: useId() };
  const [itemId, setItemId] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [price, setPrice] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [update, { error }] = useMutation(UpdateMenuItemDocument);

  function choose(id: string) {
    setItemId(id);
    setDone(null);
    const item = items.find((i) => i.id === id);
    setName(item?.name ?? '');
    setDescription(item?.description ?? '');
    setPrice(item ? (item.price.amount / 100).toFixed(2) : '');
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const cents = parsePrice(price);
    setInvalid(cents === null ? 'Enter a price like 3.50.' : null);
    setDone(null);
    if (cents === null || !itemId) return;
    const result = await update({ variables: { id: itemId, input: { name, description, price: cents } } }).catch(() => null);
    if (result?.data) setDone(`Saved ${result.data.updateMenuItem.name}.`);
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="edit-title">
      <h2 id="edit-title">Edit menu item</h2>
      <label htmlFor={ids.item}>Item to edit</label>
      <ItemSelect id={ids.item} items={items} value={itemId} onChange={choose} />
      <label htmlFor={ids.name}>New name</label>
      <input id={ids.name} required value={name} disabled={!itemId} onChange={(e) => setName(e.target.value)} />
      <label htmlFor={ids.description}>New description</label>
      <input id={ids.description} value={description} disabled={!itemId} onChange={(e) => setDescription(e.target.value)} />
      <label htmlFor={ids.price}>New price (USD)</label>
      <input
        id={ids.price}
        inputMode="decimal"
        required
        value={price}
        disabled={!itemId}
        aria-invalid={!!invalid}
        onChange={(e) => setPrice(e.target.value)}
      />
      {invalid && (
        <p className="error" role="alert">
          {invalid}
        </p>
      )}
      <Outcome error={error} done={done} />
      <button type="submit" disabled={!itemId}>
        Save changes
      </button>
    </form>
  );
}

const ROLES: Role[] = ['CUSTOMER', 'STAFF', 'ADMIN'];

function GrantRole() {
  const ids = { user: useId(), role: useId(), hint: useId() };
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('STAFF');
  const [done, setDone] = useState<string | null>(null);
  const [grant, { error }] = useMutation(GrantRoleDocument);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const result = await grant({ variables: { userId: userId.trim(), role } }).catch(() => null);
    if (result?.data) {
      const user = result.data.grantRole;
      setDone(`${user.name} (${user.email}) now has ${user.roles.join(', ')}.`);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="grant-title">
      <h2 id="grant-title">Grant a role</h2>
      <label htmlFor={ids.user}>User id</label>
      <input id={ids.user} required value={userId} aria-describedby={ids.hint} onChange={(e) => setUserId(e.target.value)} />
      <p id={ids.hint} className="hint">
        A user finds their id on the "My orders" page.
      </p>
      <label htmlFor={ids.role}>Role</label>
      <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <Outcome error={error} done={done} />
      <button type="submit">Grant role</button>
    </form>
  );
}
