"""Sign in and sign out with Django's own views: email and password, CSRF-protected, POST-only logout."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def my_profile(request):
    """An oncologist's own listing, from the header's "My profile"."""
    if request.user.physician_id is None:
        raise PermissionDenied("Only an oncologist's account has a listing in the directory.")
    return redirect(request.user.physician)
