from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    GP = "gp", "Referring physician (GP)"
    ONCOLOGIST = "oncologist", "Oncologist"
    CURATOR = "curator", "Curator"


class UserQuerySet(models.QuerySet):
    def gps(self):
        return self.filter(role=Role.GP, is_active=True)

    def oncologists(self):
        return self.filter(role=Role.ONCOLOGIST, is_active=True)

    def curators(self):
        return self.filter(role=Role.CURATOR, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.CURATOR)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a GP who refers, an oncologist who receives, or a curator.

    Patients never need an account: the directory is public.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices)
    physician = models.OneToOneField(
        "directory.Physician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        help_text="The directory record of an oncologist's account.",
    )
    npi = models.CharField("NPI", max_length=10, blank=True, help_text="A GP's own NPI, when known.")
    practice_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role="oncologist", physician__isnull=False) | ~Q(role="oncologist"),
                name="oncologist_has_physician",
                violation_error_message="An oncologist account must be linked to a physician record.",
            ),
            models.CheckConstraint(
                condition=Q(physician__isnull=True) | Q(role="oncologist"),
                name="only_oncologists_link_physician",
                violation_error_message="Only oncologist accounts are linked to a physician record.",
            ),
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        # The admin greets with it; the first word of "Dr. Gale Prentice" would be "Dr.".
        return self.full_name or self.email

    @property
    def is_gp(self) -> bool:
        return self.role == Role.GP

    @property
    def is_oncologist(self) -> bool:
        return self.role == Role.ONCOLOGIST

    @property
    def is_curator(self) -> bool:
        return self.role == Role.CURATOR
