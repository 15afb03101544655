// Who is signed in. With AUTH_USERS set on the server, every /api call needs a session: the layout
// asks /api/auth/me first and shows the login form when it answers 401 (also when a session expires).
import { ApiError, getJson, setUnauthorizedHandler } from '../api/client.ts';

interface Me {
  user: string | null;
  role: 'admin' | 'viewer';
  authEnabled: boolean;
}

class Session {
  status = $state<'checking' | 'open' | 'login' | 'signed-in'>('checking');
  user = $state<string | null>(null);
  role = $state<string>('admin');
  error = $state<string | null>(null);

  constructor() {
    setUnauthorizedHandler(() => {
      if (this.status === 'signed-in' || this.status === 'open') this.status = 'login';
    });
  }

  async check(): Promise<void> {
    try {
      this.apply(await getJson<Me>('/api/auth/me'));
    } catch (e) {
      // 401: log in. Anything else (an older server without auth): let the pages say what is wrong.
      this.status = e instanceof ApiError && e.status === 401 ? 'login' : 'open';
    }
  }

  async login(user: string, password: string): Promise<boolean> {
    this.error = null;
    try {
      this.apply(
        await getJson<Me>('/api/auth/login', undefined, { method: 'POST', body: JSON.stringify({ user, password }) }),
      );
      return true;
    } catch (e) {
      this.error =
        e instanceof ApiError && e.status === 401
          ? 'Wrong user name or password.'
          : e instanceof Error
            ? e.message
            : String(e);
      return false;
    }
  }

  async logout(): Promise<void> {
    await getJson('/api/auth/logout', undefined, { method: 'POST' }).catch(() => {});
    this.user = null;
    this.status = 'login';
  }

  private apply(me: Me): void {
    this.user = me.user;
    this.role = me.role;
    this.status = me.authEnabled ? 'signed-in' : 'open';
  }
}

export const session = new Session();
